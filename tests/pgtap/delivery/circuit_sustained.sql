-- The circuit trips on sustained failure (contract §9, issue 9): failures of
-- requests that were in flight together are one signal. Rule: a failure
-- counts only if its request was claimed after the previous counted failure
-- was recorded. On 0.1.0, 4 concurrent first attempts against threshold 3
-- tripped at once.
BEGIN;
SELECT plan(8);

INSERT INTO webhooks.event_types (name) VALUES ('order.created');
INSERT INTO webhooks.subscriptions (name, url, event_types, circuit_threshold)
VALUES ('shop', 'https://shop.example/hook', '{order.created}', 3);
INSERT INTO webhooks.events (event_type, payload) SELECT 'order.created', '{}' FROM generate_series(1, 20);

CREATE FUNCTION pg_temp.fail(t regclass) RETURNS int LANGUAGE plpgsql AS $$
DECLARE n int;
BEGIN
    EXECUTE format($q$SELECT webhooks.record('w', (SELECT jsonb_agg(jsonb_build_object('lease_token', lease_token,
                      'message_id', message_id, 'status_code', 503, 'duration_ms', 1)) FROM %s))$q$, t) INTO n;
    RETURN n;
END $$;

-- a blip: 4 requests claimed together all fail
CREATE TEMP TABLE burst AS SELECT * FROM webhooks.claim('w', 4, '1 min');
SELECT is(pg_temp.fail('burst'), 4, 'four concurrent failures are logged');
SELECT results_eq($$SELECT enabled, consecutive_failures FROM webhooks.subscriptions$$, $$VALUES (true, 1)$$,
                  'they count as one: threshold 3 is not reached');

-- another blip: three claims in flight together (three leases), recorded one by one
CREATE TEMP TABLE f1 AS SELECT * FROM webhooks.claim('w', 1, '1 min');
CREATE TEMP TABLE f2 AS SELECT * FROM webhooks.claim('w', 1, '1 min');
CREATE TEMP TABLE f3 AS SELECT * FROM webhooks.claim('w', 1, '1 min');
SELECT pg_temp.fail('f1');
SELECT pg_temp.fail('f2');
SELECT pg_temp.fail('f3');
SELECT results_eq($$SELECT enabled, consecutive_failures FROM webhooks.subscriptions$$, $$VALUES (true, 2)$$,
                  'only the first of requests in flight together counts (claimed before it was recorded: the others do not)');

-- a success in between resets the count
CREATE TEMP TABLE ok1 AS SELECT * FROM webhooks.claim('w', 1, '1 min');
SELECT webhooks.record('w', (SELECT jsonb_agg(jsonb_build_object('lease_token', lease_token, 'message_id', message_id, 'status_code', 200)) FROM ok1));
SELECT is((SELECT consecutive_failures FROM webhooks.subscriptions), 0, 'a success resets the count');

-- a dead receiver: every request is claimed after the previous failure was
-- recorded, so each counts, and it trips after circuit_threshold rounds
CREATE TEMP TABLE r1 AS SELECT * FROM webhooks.claim('w', 4, '1 min');
SELECT pg_temp.fail('r1');
CREATE TEMP TABLE r2 AS SELECT * FROM webhooks.claim('w', 4, '1 min');
SELECT pg_temp.fail('r2');
SELECT results_eq($$SELECT enabled, consecutive_failures FROM webhooks.subscriptions$$, $$VALUES (true, 2)$$,
                  'two rounds against a dead receiver: 2');
CREATE TEMP TABLE r3 AS SELECT * FROM webhooks.claim('w', 4, '1 min');
SELECT pg_temp.fail('r3');
SELECT results_eq($$SELECT enabled, consecutive_failures, auto_disabled_at IS NOT NULL FROM webhooks.subscriptions$$,
                  $$VALUES (false, 3, true)$$, 'the third round trips it');
SELECT is((SELECT count(*) FROM webhooks.events WHERE event_type = 'webhooks.subscription.tripped'), 1::bigint, 'one tripped event');
SELECT ok((SELECT failure_counted_at IS NOT NULL FROM webhooks.subscription_health), 'the time of the last counted failure is kept');

SELECT * FROM finish();
ROLLBACK;

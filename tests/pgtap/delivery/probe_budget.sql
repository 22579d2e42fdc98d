-- While a circuit is tripped, a failed probe is logged but does not use up
-- the held message's attempts (contract §9, issue 9: on 0.1.0, with
-- threshold 1, schedule {1s,1s} and a short cool-down, 4 events published
-- while tripped were all failed by the probes). Held messages keep their
-- whole budget until the subscription recovers.
BEGIN;
SELECT plan(7);

INSERT INTO webhooks.event_types (name) VALUES ('order.created');
INSERT INTO webhooks.subscriptions (name, url, event_types, circuit_threshold, retry_schedule)
VALUES ('shop', 'https://shop.example/hook', '{order.created}', 1, '{1s,1s}');
SET LOCAL webhooks.probe_cooldown = '1 s';

CREATE FUNCTION pg_temp.attempt(status int) RETURNS int LANGUAGE sql AS $$
    SELECT webhooks.record('t', (SELECT jsonb_agg(jsonb_build_object('lease_token', lease_token, 'message_id', message_id,
                                                                      'status_code', status, 'duration_ms', 1))
                                   FROM webhooks.claim('t', 100, '1 min')));
$$;

SELECT webhooks.publish('order.created', '{"n": 0}');
SELECT pg_temp.attempt(500);
SELECT is((SELECT state FROM webhooks.subscription_status), 'tripped', 'one failure trips it (threshold 1)');
SELECT webhooks.publish('order.created', jsonb_build_object('n', g)) FROM generate_series(1, 4) g;

-- six failed probes, one after each cool-down
CREATE TEMP TABLE probes (n int, logged int);
DO $$
BEGIN
    FOR i IN 1..6 LOOP
        UPDATE webhooks.subscriptions SET probe_at = now() - interval '1 s';
        INSERT INTO probes VALUES (i, pg_temp.attempt(503));
    END LOOP;
END $$;
SELECT is((SELECT sum(logged) FROM probes), 6::bigint, 'six probes, each logged');
SELECT is((SELECT count(*) FROM webhooks.deliveries WHERE status_code = 503), 6::bigint, 'six attempts on record');
SELECT results_eq($$SELECT state, count(*) FROM webhooks.messages GROUP BY 1$$, $$VALUES ('pending'::text, 5::bigint)$$,
                  'all five messages are still pending');
SELECT results_eq($$SELECT m.attempts, count(*) FROM webhooks.messages m GROUP BY 1 ORDER BY 1$$,
                  $$VALUES (0, 4::bigint), (1, 1::bigint)$$,
                  'with their attempts intact: the four published while tripped have used none');

-- recovery: the probe succeeds, the held messages flow with their whole budget
UPDATE webhooks.subscriptions SET probe_at = now() - interval '1 s';
SELECT pg_temp.attempt(200);
SELECT is((SELECT state FROM webhooks.subscription_status), 'active', 'a successful probe re-enables it');
UPDATE webhooks.messages SET next_attempt_at = now() - interval '1 s';
SELECT results_eq($$SELECT attempt, count(*) FROM webhooks.claim('t', 100, '1 min') GROUP BY 1 ORDER BY 1$$,
                  $$VALUES (1, 3::bigint), (2, 1::bigint)$$,
                  'the held messages go out as their first attempt (the first one as its second)');

SELECT * FROM finish();
ROLLBACK;

-- A tripped subscription is probed with one message once its cool-down is
-- over; a failed probe doubles the cool-down (capped by
-- webhooks.probe_cooldown_max); a successful probe re-enables it the way
-- UPDATE ... SET enabled = true does, and its held messages flow again.
BEGIN;
SELECT plan(14);

INSERT INTO webhooks.event_types (name) VALUES ('order.created');
INSERT INTO webhooks.subscriptions (name, url, event_types, circuit_threshold)
VALUES ('shop', 'https://shop.example/hook', '{order.created}', 1);
INSERT INTO webhooks.events (event_type, payload) SELECT 'order.created', '{}' FROM generate_series(1, 5);
SET LOCAL webhooks.probe_cooldown_max = '3 min';

CREATE FUNCTION pg_temp.attempt(status int) RETURNS int LANGUAGE sql AS $$
    SELECT webhooks.record('t', (SELECT jsonb_agg(jsonb_build_object('lease_token', lease_token, 'message_id', message_id, 'status_code', status))
                                   FROM webhooks.claim('t', 100, '1 min')));
$$;
CREATE FUNCTION pg_temp.cool_down_over() RETURNS void LANGUAGE sql AS $$
    UPDATE webhooks.subscriptions SET probe_at = now() - interval '1 s';
$$;

UPDATE webhooks.subscriptions SET max_in_flight = 1;
SELECT pg_temp.attempt(500);
UPDATE webhooks.subscriptions SET max_in_flight = 64;
SELECT is((SELECT probe_cooldown FROM webhooks.subscriptions), interval '1 min', 'tripped with a 1 minute cool-down');
SELECT is((SELECT count(*) FROM webhooks.claim('t', 100, '1 min')), 0::bigint, 'no probe before the cool-down is over');

SELECT pg_temp.cool_down_over();
CREATE TEMP TABLE probe AS SELECT * FROM webhooks.claim('t', 100, '1 min');
SELECT is((SELECT count(*) FROM probe), 1::bigint, 'then exactly one message is claimed, the probe');
SELECT is((SELECT probe_at FROM webhooks.subscriptions), now() + interval '1 min', 'the probe holds the circuit for its lease');
SELECT is((SELECT count(*) FROM webhooks.claim('t2', 100, '1 min')), 0::bigint, 'no second probe while it runs');

SELECT webhooks.record('t', (SELECT jsonb_agg(jsonb_build_object('lease_token', lease_token, 'message_id', message_id, 'status_code', 503)) FROM probe));
SELECT results_eq($$SELECT enabled, probe_cooldown, probe_at FROM webhooks.subscriptions$$,
                  $$VALUES (false, interval '2 min', now() + interval '2 min')$$, 'a failed probe doubles the cool-down');
SELECT pg_temp.cool_down_over();
SELECT is(pg_temp.attempt(503), 1, 'the next probe fails too');
SELECT is((SELECT probe_cooldown FROM webhooks.subscriptions), interval '3 min', 'doubled again but capped at webhooks.probe_cooldown_max');
SELECT pg_temp.cool_down_over();
SELECT pg_temp.attempt(503);
SELECT is((SELECT probe_cooldown FROM webhooks.subscriptions), interval '3 min', 'and stays at the cap');

SELECT pg_temp.cool_down_over();
SELECT is(pg_temp.attempt(200), 1, 'a probe succeeds');
SELECT results_eq($$SELECT enabled, auto_disabled_at, consecutive_failures, last_error, probe_at, probe_cooldown FROM webhooks.subscriptions$$,
                  $$VALUES (true, NULL::timestamptz, 0, NULL::text, NULL::timestamptz, NULL::interval)$$,
                  'it is re-enabled with its failure state cleared');
SELECT is((SELECT state FROM webhooks.subscription_status), 'active', 'the status view says active');
UPDATE webhooks.messages SET next_attempt_at = now() - interval '1 s' WHERE state = 'pending';
SELECT is((SELECT count(*) FROM webhooks.claim('t', 100, '1 min')), 4::bigint, 'the held messages flow again');
SELECT is((SELECT count(*) FROM webhooks.events WHERE event_type = 'webhooks.subscription.recovered'), 1::bigint,
          'one recovered event');

SELECT * FROM finish();
ROLLBACK;

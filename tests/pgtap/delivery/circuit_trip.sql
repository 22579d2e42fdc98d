-- The circuit trips at circuit_threshold consecutive counted failures
-- (enabled = false, auto_disabled_at = now(), probe after the cool-down),
-- once: more failures do not trip it again; a success resets the count.
-- Each claim-send-record round here is sequential, so each failure counts
-- (circuit_sustained.sql covers failures in flight together).
BEGIN;
SELECT plan(10);

INSERT INTO webhooks.event_types (name) VALUES ('order.created');
INSERT INTO webhooks.subscriptions (name, url, event_types, circuit_threshold)
VALUES ('shop', 'https://shop.example/hook', '{order.created}', 3);
INSERT INTO webhooks.events (event_type, payload) SELECT 'order.created', '{}' FROM generate_series(1, 10);

CREATE FUNCTION pg_temp.attempt(n int, status int) RETURNS int LANGUAGE sql AS $$
    SELECT webhooks.record('t', (SELECT jsonb_agg(jsonb_build_object('lease_token', lease_token, 'message_id', message_id, 'status_code', status))
                                   FROM webhooks.claim('t', n, '1 min')));
$$;

SELECT pg_temp.attempt(1, 500);
SELECT pg_temp.attempt(1, 200);
SELECT is((SELECT consecutive_failures FROM webhooks.subscriptions), 0, 'a success resets the count');
-- a request claimed now, still in flight while the circuit trips
CREATE TEMP TABLE early AS SELECT * FROM webhooks.claim('t', 1, '1 min');
SELECT pg_temp.attempt(1, 500);
SELECT pg_temp.attempt(1, 500);
SELECT results_eq($$SELECT enabled, consecutive_failures, auto_disabled_at FROM webhooks.subscriptions$$,
                  $$VALUES (true, 2, NULL::timestamptz)$$, 'two failures: still enabled');
SELECT pg_temp.attempt(1, 500);
SELECT results_eq($$SELECT enabled, consecutive_failures, auto_disabled_at, probe_at, probe_cooldown FROM webhooks.subscriptions$$,
                  $$VALUES (false, 3, now(), now() + interval '1 min', interval '1 min')$$,
                  'the third consecutive failure trips it, probe after 1 minute');
SELECT is((SELECT state FROM webhooks.subscription_status), 'tripped', 'the status view says tripped');
SELECT is((SELECT count(*) FROM webhooks.claim('t', 100, '1 min')), 0::bigint, 'a tripped subscription''s messages are held');

-- the result of the request in flight when it tripped: logged, not a second trip
SELECT is(webhooks.record('t', (SELECT jsonb_agg(jsonb_build_object('lease_token', lease_token, 'message_id', message_id, 'status_code', 502)) FROM early)),
          1, 'the in-flight request''s failure is logged');
SELECT results_eq($$SELECT enabled, auto_disabled_at FROM webhooks.subscriptions$$,
                  $$VALUES (false, now())$$, 'it does not trip again');
SELECT is((SELECT count(*) FROM webhooks.events WHERE event_type = 'webhooks.subscription.tripped'), 1::bigint,
          'one tripped event');
SELECT is((SELECT last_error FROM webhooks.subscriptions), 'HTTP 502', 'last_error is the last failure');

-- Invalid input: a paused subscription is never tripped (that would probe and re-enable it)
UPDATE webhooks.subscriptions SET enabled = true;
CREATE TEMP TABLE c AS SELECT * FROM webhooks.claim('t', 5, '1 min');
UPDATE webhooks.subscriptions SET enabled = false;
UPDATE webhooks.subscriptions SET consecutive_failures = 10;
SELECT webhooks.record('t', (SELECT jsonb_agg(jsonb_build_object('lease_token', lease_token, 'message_id', message_id, 'status_code', 500)) FROM c));
SELECT results_eq($$SELECT enabled, auto_disabled_at IS NULL, consecutive_failures >= 3 FROM webhooks.subscriptions$$,
                  $$VALUES (false, true, true)$$, 'failures of a paused subscription do not turn the pause into a trip');

SELECT * FROM finish();
ROLLBACK;

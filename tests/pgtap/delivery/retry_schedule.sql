-- A retried message waits retry_schedule[attempt] jittered by ±20%: every
-- delay lies within [0.8, 1.2] × the step, the delays are spread (not one
-- fixed value), and the next failure uses the next step.
BEGIN;
SELECT plan(5);

INSERT INTO webhooks.event_types (name) VALUES ('order.created');
INSERT INTO webhooks.subscriptions (name, url, event_types, retry_schedule, max_in_flight, circuit_threshold)
VALUES ('shop', 'https://shop.example/hook', '{order.created}', '{10s,1h}', 1000, 100000);
INSERT INTO webhooks.events (event_type, payload) SELECT 'order.created', '{}' FROM generate_series(1, 300);

CREATE FUNCTION pg_temp.fail_all() RETURNS int LANGUAGE sql AS $$
    UPDATE webhooks.messages SET next_attempt_at = now() - interval '1s' WHERE state = 'pending';
    SELECT webhooks.record('t', (SELECT jsonb_agg(jsonb_build_object('lease_token', lease_token, 'message_id', message_id, 'status_code', 503))
                                   FROM webhooks.claim('t', 1000, '1 min')));
$$;

SELECT is(pg_temp.fail_all(), 300, 'attempt 1 of 300 messages fails with 503');
SELECT ok((SELECT bool_and(next_attempt_at - now() BETWEEN interval '8 s' AND interval '12 s') FROM webhooks.messages),
          'every delay before attempt 2 is within 10 s ± 20%');
SELECT ok((SELECT min(next_attempt_at - now()) < interval '9 s' AND max(next_attempt_at - now()) > interval '11 s'
             FROM webhooks.messages),
          'the delays are spread over the jitter range');
SELECT is(pg_temp.fail_all(), 300, 'attempt 2 fails too');
SELECT ok((SELECT bool_and(next_attempt_at - now() BETWEEN interval '48 min' AND interval '72 min') FROM webhooks.messages),
          'the delay before attempt 3 is the second step, 1 h ± 20%');

SELECT * FROM finish();
ROLLBACK;

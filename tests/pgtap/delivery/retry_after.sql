-- Retry-After (retry_after_s) is honoured within [jittered schedule step,
-- 1 day]: a longer wait is kept, a shorter one is raised to our schedule, and
-- anything beyond a day is cut to a day.
BEGIN;
SELECT plan(4);

INSERT INTO webhooks.event_types (name) VALUES ('order.created');
INSERT INTO webhooks.subscriptions (name, url, event_types, retry_schedule, circuit_threshold)
VALUES ('shop', 'https://shop.example/hook', '{order.created}', '{10s}', 100);
INSERT INTO webhooks.events (event_type, payload) SELECT 'order.created', jsonb_build_object('n', g) FROM generate_series(1, 3) g;
CREATE TEMP TABLE c AS
SELECT c.lease_token, c.message_id, (e.payload->>'n')::int AS n FROM webhooks.claim('t', 10, '1 min') c JOIN webhooks.events e ON e.id = c.event_id;

SELECT is(webhooks.record('t', (SELECT jsonb_agg(jsonb_build_object('lease_token', lease_token, 'message_id', message_id, 'status_code', 429,
                                    'retry_after_s', CASE n WHEN 1 THEN 120 WHEN 2 THEN 1 ELSE 864000 END)) FROM c)),
          3, 'three 429s with Retry-After 120 s, 1 s and 10 days');
SELECT is((SELECT m.next_attempt_at - now() FROM webhooks.messages m JOIN c ON c.message_id = m.id WHERE c.n = 1),
          interval '120 s', 'Retry-After 120 s is honoured exactly');
SELECT ok((SELECT m.next_attempt_at - now() BETWEEN interval '8 s' AND interval '12 s' FROM webhooks.messages m JOIN c ON c.message_id = m.id WHERE c.n = 2),
          'Retry-After 1 s is raised to the jittered schedule step (10 s ± 20%)');
SELECT is((SELECT m.next_attempt_at - now() FROM webhooks.messages m JOIN c ON c.message_id = m.id WHERE c.n = 3),
          interval '1 day', 'Retry-After 10 days is capped at 1 day');

SELECT * FROM finish();
ROLLBACK;

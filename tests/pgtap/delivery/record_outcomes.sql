-- webhooks.record classifies each attempt (contract §6): 2xx delivered (the
-- message leaves the outbox); no response, 408, 429, 5xx retried; other 4xx
-- and 3xx failed at once; the last attempt's retryable failure is final.
-- Every attempt is logged once, with the worker and the first KiB of the
-- response.
BEGIN;
SELECT plan(16);

INSERT INTO webhooks.event_types (name) VALUES ('order.created');
INSERT INTO webhooks.subscriptions (name, url, event_types, circuit_threshold)
VALUES ('shop', 'https://shop.example/hook', '{order.created}', 100);
INSERT INTO webhooks.events (event_type, payload) SELECT 'order.created', jsonb_build_object('n', g) FROM generate_series(1, 9) g;
CREATE TEMP TABLE c AS SELECT * FROM webhooks.claim('w1', 100, '1 minute');
CREATE TEMP TABLE codes (n int, status_code int);
INSERT INTO codes VALUES (1, 200), (2, 204), (3, NULL), (4, 408), (5, 429), (6, 503), (7, 404), (8, 301), (9, 410);
CREATE TEMP TABLE msg AS
SELECT c.lease_token, c.message_id, codes.n, codes.status_code
  FROM c JOIN webhooks.events e ON e.id = c.event_id JOIN codes ON codes.n = (e.payload->>'n')::int;

SELECT is(webhooks.record('w1', (SELECT jsonb_agg(jsonb_build_object(
              'lease_token', lease_token, 'message_id', message_id, 'status_code', status_code, 'duration_ms', 7,
              'error', CASE WHEN status_code IS NULL THEN 'timeout' END,
              'response', repeat('r', 2000)) ORDER BY msg.n) FROM msg)),
          9, 'record returns the number of attempts logged');

SELECT is((SELECT count(*) FROM webhooks.messages m WHERE m.id IN (SELECT message_id FROM msg WHERE status_code IN (200, 204))),
          0::bigint, '2xx: delivered messages leave the outbox');
SELECT set_eq($$SELECT m.id FROM webhooks.messages m WHERE m.state = 'pending'$$,
              $$SELECT message_id FROM msg WHERE status_code IS NULL OR status_code IN (408, 429, 503)$$,
              'no response, 408, 429 and 5xx stay pending');
SELECT set_eq($$SELECT m.id FROM webhooks.messages m WHERE m.state = 'failed'$$,
              $$SELECT message_id FROM msg WHERE status_code IN (404, 301, 410)$$,
              'other 4xx and 3xx fail at once');
SELECT ok((SELECT bool_and(m.next_attempt_at > now() AND m.lease_owner IS NULL AND m.lease_expires_at IS NULL AND m.attempts = 1)
             FROM webhooks.messages m WHERE m.state = 'pending'),
          'retried messages: lease cleared, attempts counted, scheduled later');
SELECT is((SELECT count(*) FROM webhooks.deliveries), 9::bigint, 'one deliveries row per attempt');
SELECT results_eq($$SELECT d.outcome, count(*)::int FROM webhooks.deliveries d GROUP BY 1 ORDER BY 1$$,
                  $$VALUES ('delivered'::text, 2), ('failed', 3), ('retrying', 4)$$,
                  'outcomes delivered / retrying / failed');
SELECT ok((SELECT bool_and(length(d.response) = 1024 AND d.worker_id = 'w1' AND d.duration_ms = 7 AND d.attempt = 1)
             FROM webhooks.deliveries d),
          'the first KiB of the response, the worker, duration and attempt are logged');
SELECT is((SELECT d.error FROM webhooks.deliveries d WHERE d.status_code IS NULL), 'timeout', 'the error is logged');
SELECT is((SELECT consecutive_failures FROM webhooks.subscriptions), 1,
          'the failures after the last success, in flight together, count once (circuit_sustained.sql)');

-- the last attempt: a retryable failure is final
UPDATE webhooks.subscriptions SET retry_schedule = '{1s}', enabled = true;
INSERT INTO webhooks.events (event_type, payload) VALUES ('order.created', '{"n": 10}');
UPDATE webhooks.messages SET next_attempt_at = now() - interval '1s' WHERE state = 'pending';
CREATE TEMP TABLE c2 AS SELECT * FROM webhooks.claim('w1', 100, '1 minute');
SELECT is((SELECT count(*) FROM c2), 5::bigint, 'the retrying messages and the new one are claimed');
SELECT is(webhooks.record('w1', (SELECT jsonb_agg(jsonb_build_object('lease_token', lease_token, 'message_id', message_id,
                                                                     'status_code', 500, 'duration_ms', 1)) FROM c2)),
          5, 'recorded');
SELECT results_eq($$SELECT m.state, m.attempts FROM webhooks.messages m WHERE m.id IN (SELECT message_id FROM c2) ORDER BY m.attempts, m.state$$,
                  $$VALUES ('pending'::text, 1), ('failed'::text, 2), ('failed', 2), ('failed', 2), ('failed', 2)$$,
                  'attempt 2 of a 1-step schedule fails for good; attempt 1 is retried');
SELECT is((SELECT count(*) FROM webhooks.deliveries WHERE outcome = 'failed' AND attempt = 2), 4::bigint,
          'the final attempts are logged as failed');

-- Invalid input
SELECT throws_ok($$SELECT webhooks.record('w1', '{"message_id": 1}')$$, '22023', NULL, 'results must be an array');
SELECT is(webhooks.record('w1', '[]'), 0, 'an empty batch records nothing');

SELECT * FROM finish();
ROLLBACK;

-- A result that cannot be applied does not sink its batch (issue 9; on
-- 0.1.0 record failed as a whole and the worker dropped every result of the
-- batch): the other results land, the bad one is logged with the error and
-- its message keeps its lease (sent again when it expires), nothing is lost.
-- A retry_schedule step beyond range is bounded rather than failing.
BEGIN;
SELECT plan(10);

INSERT INTO webhooks.event_types (name) VALUES ('order.created');
INSERT INTO webhooks.subscriptions (name, url, event_types, circuit_threshold)
VALUES ('shop', 'https://shop.example/hook', '{order.created}', 100);
INSERT INTO webhooks.events (event_type, payload) SELECT 'order.created', jsonb_build_object('n', g) FROM generate_series(1, 3) g;
CREATE TEMP TABLE c AS
SELECT c.*, (e.payload->>'n')::int AS n FROM webhooks.claim('w', 10, '1 min') c JOIN webhooks.events e ON e.id = c.event_id;

SELECT is(webhooks.record('w', (SELECT jsonb_agg(CASE n
              WHEN 1 THEN jsonb_build_object('lease_token', lease_token, 'message_id', message_id, 'status_code', 200, 'duration_ms', 4)
              WHEN 2 THEN jsonb_build_object('lease_token', lease_token, 'message_id', message_id, 'status_code', 200, 'duration_ms', 'slow')
              ELSE jsonb_build_object('lease_token', lease_token, 'message_id', message_id, 'status_code', 503, 'duration_ms', 4) END
              ORDER BY n) FROM c)),
          3, 'all three results are logged, the unreadable one included');
SELECT is((SELECT count(*) FROM webhooks.messages WHERE id = (SELECT message_id FROM c WHERE n = 1)), 0::bigint,
          'the good delivered result landed');
SELECT results_eq($$SELECT attempts, lease_token IS NULL FROM webhooks.messages WHERE id = (SELECT message_id FROM c WHERE n = 3)$$,
                  $$VALUES (1, true)$$, 'the good retryable result landed');
SELECT results_eq($$SELECT state, attempts, lease_token FROM webhooks.messages WHERE id = (SELECT message_id FROM c WHERE n = 2)$$,
                  $$SELECT 'pending'::text, 0, lease_token FROM c WHERE n = 2$$,
                  'the bad one''s message is not lost: still pending under its lease, sent again when it expires');
SELECT alike((SELECT d.error FROM webhooks.deliveries d JOIN c ON c.event_id = d.event_id WHERE c.n = 2),
             '%not applied (invalid input syntax for type integer: "slow")%', 'its log row carries the error');
SELECT is(webhooks.record('w', (SELECT jsonb_agg(jsonb_build_object('lease_token', lease_token, 'message_id', message_id,
                                                                   'status_code', 200, 'duration_ms', 'slow')) FROM c WHERE n = 2)),
          0, 'and it was logged once: a repeat logs nothing');

-- an out-of-range schedule step, if validation lets one through, is bounded
INSERT INTO webhooks.events (event_type, payload) VALUES ('order.created', '{"n": 4}');
DO $$
BEGIN
    SET LOCAL session_replication_role = replica;  -- past the validation triggers, to test record alone
    UPDATE webhooks.subscriptions SET retry_schedule = '{1000000 years}';
    SET LOCAL session_replication_role = origin;
EXCEPTION WHEN OTHERS THEN
    SET LOCAL session_replication_role = origin;
END $$;
CREATE TEMP TABLE c4 AS SELECT * FROM webhooks.claim('w', 10, '1 min');
SELECT is(webhooks.record('w', (SELECT jsonb_agg(jsonb_build_object('lease_token', lease_token, 'message_id', message_id,
                                                                   'status_code', 500, 'duration_ms', 1)) FROM c4)),
          1, 'a retry with a huge schedule step is recorded');
SELECT ok((SELECT bool_and(next_attempt_at > now() AND next_attempt_at < 'infinity') FROM webhooks.messages
            WHERE id IN (SELECT message_id FROM c4)),
          'and scheduled at a finite time, not "timestamp out of range"');
SELECT is((SELECT count(*) FROM webhooks.deliveries WHERE event_id IN (SELECT event_id FROM c4) AND error IS NULL), 1::bigint,
          'applied, without an error');
SELECT is((SELECT count(*) FROM webhooks.messages), 3::bigint, 'no message was lost');

SELECT * FROM finish();
ROLLBACK;

-- webhooks.claim returns everything sending needs (internals.md): the body
-- rendered exactly as contract §6 says, every valid secret, headers, attempt,
-- timeout; it leases the message (owner, expiry, next_attempt_at = expiry)
-- and only due messages of enabled subscriptions are claimed.
BEGIN;
SELECT plan(14);

INSERT INTO webhooks.event_types (name) VALUES ('order.created');
INSERT INTO webhooks.subscriptions (name, url, event_types, headers, timeout, secret)
VALUES ('shop', 'https://shop.example/hook', '{order.created}', '{"x-tenant": "7"}', '2.5s',
        'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
INSERT INTO webhooks.events (id, event_type, payload, created_at)
VALUES ('11111111-1111-4111-8111-111111111111', 'order.created', '{"b": [1, 2], "a": "x\"y"}',
        '2024-03-01 12:34:56.789+02');
-- a backdated event is history, not a publish (no fan-out): queue its
-- messages by hand, as a restored backup brings them
INSERT INTO webhooks.messages (event_id, subscription_id)
SELECT e.id, r.subscription_id FROM webhooks.events e JOIN webhooks.routes r ON r.event_type = e.event_type
 WHERE e.created_at <> now();

CREATE TEMP TABLE c AS SELECT * FROM webhooks.claim('w1', 10, '30 seconds');

SELECT is((SELECT count(*) FROM c), 1::bigint, 'one due message is claimed');
SELECT is((SELECT event_id FROM c), '11111111-1111-4111-8111-111111111111'::uuid, 'event_id is the event''s id');
SELECT is((SELECT body FROM c),
          '{"type": "order.created", "timestamp": "2024-03-01T10:34:56.789000Z", "data": {"a": "x\"y", "b": [1, 2]}}',
          'body is {"type", "timestamp" (RFC 3339 UTC), "data"} in that order');
SELECT is((SELECT body::jsonb FROM c) ->> 'timestamp', '2024-03-01T10:34:56.789000Z', 'the timestamp is the event time in UTC');
SELECT is((SELECT secrets FROM c), ARRAY['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], 'one secret when none is in its grace period');
SELECT is((SELECT headers FROM c), '{"x-tenant": "7"}'::jsonb, 'the subscription''s headers');
SELECT is((SELECT timeout_ms FROM c), 2500, 'timeout in milliseconds');
SELECT is((SELECT attempt FROM c), 1, 'first attempt is 1');
SELECT is((SELECT url FROM c), 'https://shop.example/hook', 'the url');
SELECT is((SELECT lease_expires_at FROM c), now() + interval '30 seconds', 'lease runs for the interval asked');
SELECT results_eq($$SELECT lease_owner, lease_expires_at, next_attempt_at FROM webhooks.messages$$,
                  $$SELECT 'w1'::text, now() + interval '30 seconds', now() + interval '30 seconds'$$,
                  'the message is leased and its next_attempt_at is the lease expiry');
SELECT is((SELECT count(*) FROM webhooks.claim('w2', 10, '30 seconds')), 0::bigint, 'a leased message is not claimed again');

-- not due yet, or subscription paused: nothing
INSERT INTO webhooks.events (event_type, payload) VALUES ('order.created', '{}');
SELECT webhooks.fan_out_queued();  -- its message, made now to be postponed (a claim would make it first)
UPDATE webhooks.messages SET next_attempt_at = now() + interval '1 minute' WHERE lease_owner IS NULL;
SELECT is((SELECT count(*) FROM webhooks.claim('w2', 10, '30 seconds')), 0::bigint, 'a message not yet due is not claimed');
UPDATE webhooks.messages SET next_attempt_at = now() - interval '1 minute' WHERE lease_owner IS NULL;
UPDATE webhooks.subscriptions SET enabled = false;
SELECT is((SELECT count(*) FROM webhooks.claim('w2', 10, '30 seconds')), 0::bigint, 'a paused subscription''s messages are held');

SELECT * FROM finish();
ROLLBACK;

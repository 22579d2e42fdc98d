-- webhooks.purge(older_than) removes old history only: delivery attempts
-- older than the cut-off and finished events no message references; pending
-- and failed work and their events stay; nothing else may delete history.
BEGIN;
SELECT plan(8);

INSERT INTO webhooks.event_types (name) VALUES ('order.created');
INSERT INTO webhooks.subscriptions (name, url, event_types, enabled)
VALUES ('shop', 'https://shop.example/hook', '{order.created}', false);
INSERT INTO webhooks.events (id, event_type, payload, created_at)
VALUES ('00000000-0000-4000-8000-000000000001', 'order.created', '{}', now() - interval '40 days'),  -- delivered long ago
       ('00000000-0000-4000-8000-000000000002', 'order.created', '{}', now() - interval '40 days'),  -- held, still pending
       ('00000000-0000-4000-8000-000000000003', 'order.created', '{}', now() - interval '40 days'),  -- failed, kept for replay
       ('00000000-0000-4000-8000-000000000004', 'order.created', '{}', now() - interval '1 day');   -- recent
-- a backdated event is history, not a publish (no fan-out): queue its
-- messages by hand, as a restored backup brings them
INSERT INTO webhooks.messages (event_id, subscription_id)
SELECT e.id, r.subscription_id FROM webhooks.events e JOIN webhooks.routes r ON r.event_type = e.event_type
 WHERE e.created_at <> now();
DELETE FROM webhooks.messages WHERE event_id IN ('00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000004');
UPDATE webhooks.messages SET state = 'failed' WHERE event_id = '00000000-0000-4000-8000-000000000003';
INSERT INTO webhooks.deliveries (event_id, subscription_id, attempt, attempted_at, outcome)
SELECT e, (SELECT id FROM webhooks.subscriptions), 1, t, o
  FROM (VALUES ('00000000-0000-4000-8000-000000000001'::uuid, now() - interval '40 days', 'delivered'),
               ('00000000-0000-4000-8000-000000000003'::uuid, now() - interval '40 days', 'failed'),
               ('00000000-0000-4000-8000-000000000004'::uuid, now() - interval '1 day', 'delivered')) v(e, t, o);

SELECT throws_ok($$DELETE FROM webhooks.deliveries$$, '42501', NULL, 'history cannot be deleted directly');
SELECT is(webhooks.purge('30 days'), 3::bigint, 'two old attempts and one finished old event are removed');
SELECT set_eq($$SELECT id FROM webhooks.events$$,
              ARRAY['00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000004']::uuid[],
              'events of pending and failed work and recent events stay');
SELECT is((SELECT count(*) FROM webhooks.messages), 2::bigint, 'the pending and the failed message stay');
SELECT is((SELECT count(*) FROM webhooks.deliveries), 1::bigint, 'the recent attempt stays');
SELECT ok(coalesce(current_setting('webhooks.purging', true), '') <> 'on', 'the purge switch is not left on for the caller');
SELECT throws_ok($$DELETE FROM webhooks.events$$, '42501', NULL, 'and direct deletes are refused again');
SELECT throws_ok($$SELECT webhooks.purge('-1 day')$$, '22023', NULL, 'a negative age is refused');

SELECT * FROM finish();
ROLLBACK;

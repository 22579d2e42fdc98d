-- webhooks.purge(older_than) removes old history only: attempts older than
-- the cut-off of messages that finished (delivered or discarded), and
-- finished events no message references; pending and failed work, their
-- events and their attempts stay whatever their age (contract §9; 0.1.0
-- removed the attempts of failed and pending messages, and with them why
-- they failed); nothing else may delete history.
BEGIN;
SELECT plan(13);

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
               ('00000000-0000-4000-8000-000000000002'::uuid, now() - interval '40 days', 'retrying'),
               ('00000000-0000-4000-8000-000000000003'::uuid, now() - interval '40 days', 'failed'),
               ('00000000-0000-4000-8000-000000000004'::uuid, now() - interval '1 day', 'delivered')) v(e, t, o);

SELECT throws_ok($$DELETE FROM webhooks.deliveries$$, '42501', NULL, 'history cannot be deleted directly');
SELECT is(webhooks.purge('30 days'), 2::bigint, 'the old attempt of the delivered message and its event are removed');
SELECT set_eq($$SELECT id FROM webhooks.events$$,
              ARRAY['00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000004']::uuid[],
              'events of pending and failed work and recent events stay');
SELECT is((SELECT count(*) FROM webhooks.messages), 2::bigint, 'the pending and the failed message stay');
SELECT set_eq($$SELECT event_id FROM webhooks.deliveries$$,
              ARRAY['00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000004']::uuid[],
              'the old attempts of the pending and the failed message stay, and the recent attempt');
SELECT is(webhooks.purge('0'), 2::bigint, 'purge(''0'') removes only the recent delivered message''s attempt and event');
SELECT set_eq($$SELECT outcome FROM webhooks.deliveries$$, ARRAY['retrying', 'failed'],
              'why the pending and the failed messages were not delivered is still on record');
SELECT results_eq($$SELECT pending, failed FROM webhooks.subscription_status$$, $$VALUES (1::bigint, 1::bigint)$$,
                  'the status counts are unchanged');
SELECT ok(coalesce(current_setting('webhooks.purging', true), '') <> 'on', 'the purge switch is not left on for the caller');
DELETE FROM webhooks.messages WHERE state = 'pending';  -- discarded: its history may go now
SELECT is(webhooks.purge('0'), 2::bigint, 'once its message is discarded, its attempt and event go too');
SELECT throws_ok($$DELETE FROM webhooks.events$$, '42501', NULL, 'and direct deletes are refused again');
-- an old event whose fan-out never ran (no worker since; or restored so)
INSERT INTO webhooks.events (id, event_type, payload, created_at, admitted)
VALUES ('00000000-0000-4000-8000-000000000009', 'order.created', '{}', now() - interval '90 days', true);
INSERT INTO webhooks.fan_out_queue VALUES ('00000000-0000-4000-8000-000000000009', now() - interval '90 days',
                                           ARRAY(SELECT id FROM webhooks.subscriptions));
SELECT webhooks.purge('30 days');
SELECT is((SELECT count(*) FROM webhooks.events WHERE id = '00000000-0000-4000-8000-000000000009'), 1::bigint,
          'an event still queued for fan-out is pending: it stays, however old');
SELECT throws_ok($$SELECT webhooks.purge('-1 day')$$, '22023', NULL, 'a negative age is refused');

SELECT * FROM finish();
ROLLBACK;

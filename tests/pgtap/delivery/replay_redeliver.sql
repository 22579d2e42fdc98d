-- webhooks.replay requeues a subscription's failed messages (since a time)
-- with a fresh schedule and returns how many; webhooks.redeliver sends one
-- event again to the named subscription or to every one it went to; a named
-- subscription must match the event's type (0.1.0 sent it to any).
BEGIN;
SELECT plan(15);

INSERT INTO webhooks.event_types (name) VALUES ('order.created');
INSERT INTO webhooks.subscriptions (name, url, event_types, circuit_threshold)
VALUES ('shop', 'https://shop.example/hook', '{order.created}', 100),
       ('crm', 'https://crm.example/hook', '{order.created}', 100),
       ('late', 'https://late.example/hook', '{other.>}', 100),
       ('stranger', 'https://stranger.example/hook', '{other.>}', 100);
INSERT INTO webhooks.events (id, event_type, payload, created_at)
VALUES ('00000000-0000-4000-8000-000000000001', 'order.created', '{}', now() - interval '2 days'),
       ('00000000-0000-4000-8000-000000000002', 'order.created', '{}', now() - interval '1 hour'),
       ('00000000-0000-4000-8000-000000000003', 'order.created', '{}', now());
-- a backdated event is history, not a publish (no fan-out): queue its
-- messages by hand, as a restored backup brings them
INSERT INTO webhooks.messages (event_id, subscription_id)
SELECT e.id, r.subscription_id FROM webhooks.events e JOIN webhooks.routes r ON r.event_type = e.event_type
 WHERE e.created_at <> now();
UPDATE webhooks.messages m SET created_at = e.created_at FROM webhooks.events e WHERE e.id = m.event_id;
-- shop fails all three, crm delivers all three
SELECT webhooks.record('t', (SELECT jsonb_agg(jsonb_build_object('lease_token', c.lease_token, 'message_id', c.message_id,
                                 'status_code', CASE s.name WHEN 'shop' THEN 400 ELSE 200 END))
                               FROM webhooks.claim('t', 100, '1 min') c JOIN webhooks.subscriptions s ON s.id = c.subscription_id));
SELECT is((SELECT count(*) FROM webhooks.messages WHERE state = 'failed'), 3::bigint, 'shop has three failed messages');

SELECT is(webhooks.replay('shop', now() - interval '1 day'), 2::bigint, 'replay since a day ago requeues the two newer ones');
SELECT results_eq($$SELECT state, attempts, lease_owner FROM webhooks.messages WHERE state = 'pending'$$,
                  $$VALUES ('pending'::text, 0, NULL::text), ('pending', 0, NULL)$$, 'requeued with a fresh schedule');
SELECT is(webhooks.replay('shop'), 1::bigint, 'replay with the default since takes the remaining one');
SELECT is(webhooks.replay('shop'), 0::bigint, 'nothing left to replay');
SELECT is(webhooks.replay('crm'), 0::bigint, 'crm has nothing failed');

DELETE FROM webhooks.messages;
UPDATE webhooks.subscriptions SET event_types = '{other.>,order.*}' WHERE name = 'late';  -- subscribes after the events
SELECT is(webhooks.redeliver('00000000-0000-4000-8000-000000000001'), 2::bigint,
          'redeliver without a subscription: one message for each subscription it went to');
SELECT is(webhooks.redeliver('00000000-0000-4000-8000-000000000001'), 0::bigint,
          'again at once: both are still pending, nothing new is queued');
SELECT is(webhooks.redeliver('00000000-0000-4000-8000-000000000002', 'late'), 1::bigint,
          'to a named subscription that matches, even one it never went to');
UPDATE webhooks.messages SET state = 'failed' WHERE event_id = '00000000-0000-4000-8000-000000000002';
SELECT is(webhooks.redeliver('00000000-0000-4000-8000-000000000002', 'late'), 1::bigint, 'a failed message is requeued');
SELECT is((SELECT count(*) FROM webhooks.messages WHERE event_id = '00000000-0000-4000-8000-000000000002'), 1::bigint,
          'requeued, not duplicated');

-- Invalid input
SELECT throws_ok($$SELECT webhooks.redeliver('00000000-0000-4000-8000-000000000002', 'stranger')$$, '22023',
                 'subscription "stranger" does not subscribe to event type "order.created" (event 00000000-0000-4000-8000-000000000002)',
                 'redeliver to a subscription whose patterns do not match is refused, naming both');
SELECT is((SELECT count(*) FROM webhooks.messages m JOIN webhooks.subscriptions s ON s.id = m.subscription_id WHERE s.name = 'stranger'),
          0::bigint, 'and nothing is queued for it');
SELECT throws_ok($$SELECT webhooks.replay('nope')$$, 'P0002', 'unknown subscription "nope"', 'replay names an unknown subscription');
SELECT throws_ok($$SELECT webhooks.redeliver('00000000-0000-4000-8000-000000000009')$$, 'P0002',
                 'unknown event 00000000-0000-4000-8000-000000000009', 'redeliver names an unknown event');

SELECT * FROM finish();
ROLLBACK;

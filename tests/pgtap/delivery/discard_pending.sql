-- webhooks.discard_pending drops a subscription's pending messages (held or
-- queued) on purpose and returns how many; failed messages and other
-- subscriptions' messages stay.
BEGIN;
SELECT plan(7);

INSERT INTO webhooks.event_types (name) VALUES ('order.created');
INSERT INTO webhooks.subscriptions (name, url, event_types, enabled)
VALUES ('shop', 'https://shop.example/hook', '{order.created}', false),
       ('crm', 'https://crm.example/hook', '{order.created}', true);
INSERT INTO webhooks.events (event_type, payload) SELECT 'order.created', '{}' FROM generate_series(1, 4);
SELECT webhooks.fan_out_queued();  -- what a worker's claim does first
UPDATE webhooks.messages SET state = 'failed'
 WHERE id = (SELECT min(id) FROM webhooks.messages WHERE subscription_id = (SELECT id FROM webhooks.subscriptions WHERE name = 'shop'));

SELECT is(webhooks.discard_pending('shop'), 3::bigint, 'the three held messages are dropped');
SELECT is((SELECT count(*) FROM webhooks.messages m JOIN webhooks.subscriptions s ON s.id = m.subscription_id WHERE s.name = 'shop'),
          1::bigint, 'the failed one stays for replay');
SELECT is((SELECT count(*) FROM webhooks.messages m JOIN webhooks.subscriptions s ON s.id = m.subscription_id WHERE s.name = 'crm'),
          4::bigint, 'other subscriptions keep theirs');
-- events published but not yet turned into messages (no claim since)
SELECT webhooks.publish('order.created', '{"late": true}') FROM generate_series(1, 2);
SELECT is(webhooks.discard_pending('shop'), 2::bigint, 'events still queued for fan-out are dropped too');
SELECT is(webhooks.fan_out_queued(), 2::bigint, 'the next fan-out makes their messages for the other subscription only');
SELECT is((SELECT count(*) FROM webhooks.messages m JOIN webhooks.subscriptions s ON s.id = m.subscription_id WHERE s.name = 'shop'),
          1::bigint, 'none for the discarding subscription');
SELECT throws_ok($$SELECT webhooks.discard_pending('nope')$$, 'P0002', 'unknown subscription "nope"', 'an unknown name is an error');

SELECT * FROM finish();
ROLLBACK;

-- Only events published by the current transaction fan out. A row inserted
-- with another created_at, or marked admitted (as pg_restore writes back
-- rows published through webhooks.publish or a watched table), is history:
-- what a restore brings back together with its own messages and queued
-- fan-outs. It queues nothing, so a restore never repeats old deliveries.
BEGIN;
SELECT plan(5);

INSERT INTO webhooks.event_types (name) VALUES ('order.created');
INSERT INTO webhooks.subscriptions (name, url, event_types) VALUES ('shop', 'https://shop.example/h', '{order.created}');

INSERT INTO webhooks.events (event_type, payload, created_at) VALUES ('order.created', '{"old": true}', now() - interval '3 days');
SELECT is((SELECT count(*) FROM webhooks.fan_out_queue), 0::bigint, 'a backdated event queues nothing');
SELECT is((SELECT count(*) FROM webhooks.events WHERE payload ? 'old'), 1::bigint, 'but is kept as history');

INSERT INTO webhooks.events (event_type, payload, admitted, created_at)
VALUES ('order.created', '{"restored": true}', true, now());
SELECT is((SELECT count(*) FROM webhooks.fan_out_queue), 0::bigint, 'a row restored as admitted queues nothing either');

INSERT INTO webhooks.events (event_type, payload) VALUES ('order.created', '{"new": true}');
SELECT is((SELECT count(*) FROM webhooks.fan_out_queue), 1::bigint, 'an event published now queues its fan-out');
SELECT is(webhooks.fan_out_queued(), 1::bigint, 'which makes its message');

SELECT * FROM finish();
ROLLBACK;

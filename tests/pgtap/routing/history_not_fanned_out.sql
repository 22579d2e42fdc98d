-- Only events published by the current transaction fan out. A row inserted
-- with another created_at is history (what pg_restore writes back from a
-- backup, together with its own messages) and queues nothing, so a restore
-- never repeats old deliveries.
BEGIN;
SELECT plan(3);

INSERT INTO webhooks.event_types (name) VALUES ('order.created');
INSERT INTO webhooks.subscriptions (name, url, event_types) VALUES ('shop', 'https://shop.example/h', '{order.created}');

INSERT INTO webhooks.events (event_type, payload, created_at) VALUES ('order.created', '{"old": true}', now() - interval '3 days');
SELECT is((SELECT count(*) FROM webhooks.messages), 0::bigint, 'a backdated event queues nothing');
SELECT is((SELECT count(*) FROM webhooks.events WHERE payload ? 'old'), 1::bigint, 'but is kept as history');

INSERT INTO webhooks.events (event_type, payload) VALUES ('order.created', '{"new": true}');
SELECT is((SELECT count(*) FROM webhooks.messages), 1::bigint, 'an event published now fans out');

SELECT * FROM finish();
ROLLBACK;

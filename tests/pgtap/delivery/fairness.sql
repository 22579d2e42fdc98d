-- A claim is fair across subscriptions: a large backlog for one does not
-- keep another's fresh events waiting longer than one claim; the batch is
-- split evenly over the subscriptions with due work, oldest first.
BEGIN;
SELECT plan(4);

INSERT INTO webhooks.event_types (name) VALUES ('bulk.event'), ('order.created');
INSERT INTO webhooks.subscriptions (name, url, event_types, max_in_flight)
VALUES ('bulk', 'https://bulk.example/hook', '{bulk.event}', 10000),
       ('shop', 'https://shop.example/hook', '{order.created}', 10000),
       ('crm', 'https://crm.example/hook', '{order.created}', 10000);
INSERT INTO webhooks.events (event_type, payload, created_at) SELECT 'bulk.event', '{}', now() - interval '1 hour' FROM generate_series(1, 5000);
-- a backdated event is history, not a publish (no fan-out): queue its
-- messages by hand, as a restored backup brings them
INSERT INTO webhooks.messages (event_id, subscription_id)
SELECT e.id, r.subscription_id FROM webhooks.events e JOIN webhooks.routes r ON r.event_type = e.event_type
 WHERE e.created_at <> now();
UPDATE webhooks.messages SET next_attempt_at = now() - interval '1 hour';
INSERT INTO webhooks.events (event_type, payload) SELECT 'order.created', '{}' FROM generate_series(1, 10);

CREATE TEMP TABLE c AS
SELECT s.name FROM webhooks.claim('t', 100, '1 min') c JOIN webhooks.subscriptions s ON s.id = c.subscription_id;
SELECT is((SELECT count(*) FROM c WHERE name = 'shop'), 10::bigint, 'behind 5,000 older messages for bulk, shop''s 10 fresh ones come in the first claim');
SELECT is((SELECT count(*) FROM c WHERE name = 'crm'), 10::bigint, 'and crm''s');
SELECT is((SELECT count(*) FROM c WHERE name = 'bulk'), 34::bigint, 'bulk gets its third of the batch (the oldest, so the remainder)');

INSERT INTO webhooks.events (event_type, payload) SELECT 'order.created', '{}' FROM generate_series(1, 100);
SELECT results_eq($$SELECT s.name, count(*) FROM webhooks.claim('t', 100, '1 min') c JOIN webhooks.subscriptions s ON s.id = c.subscription_id
                     GROUP BY 1 ORDER BY 1$$,
                  $$VALUES ('bulk'::text, 34::bigint), ('crm', 33), ('shop', 33)$$, 'three busy subscriptions share a batch evenly');

SELECT * FROM finish();
ROLLBACK;

-- Fan-out: one message per subscription that matched at publish, through
-- precomputed routes kept current when event types or subscriptions change;
-- later subscriptions do not receive earlier events; paused ones keep theirs.
-- Publishing queues the fan-out (webhooks.fan_out_queue); the next claim
-- makes the messages (webhooks.fan_out_queued), here called by hand.
BEGIN;
SELECT plan(14);

INSERT INTO webhooks.event_types (name) VALUES ('order.created'), ('order.paid'), ('order.item.added'), ('invoice.paid');
INSERT INTO webhooks.subscriptions (name, url, event_types) VALUES
    ('exact',  'https://a.example/h', '{order.created}'),
    ('star',   'https://a.example/h', '{order.*}'),
    ('tail',   'https://a.example/h', '{order.>}'),
    ('all',    'https://a.example/h', '{>}'),
    ('paused', 'https://a.example/h', '{*.paid}');
UPDATE webhooks.subscriptions SET enabled = false WHERE name = 'paused';

CREATE FUNCTION pg_temp.receivers(event uuid) RETURNS text[] LANGUAGE sql AS $$
    SELECT webhooks.fan_out_queued();
    SELECT array_agg(s.name ORDER BY s.name) FROM webhooks.messages m JOIN webhooks.subscriptions s ON s.id = m.subscription_id
     WHERE m.event_id = event
$$;

SELECT is(pg_temp.receivers(webhooks.publish('order.created', '{}')), '{all,exact,star,tail}', 'exact, "*" and ">" patterns route');
SELECT is(pg_temp.receivers(webhooks.publish('order.item.added', '{}')), '{all,tail}', '"*" is one segment, ">" one or more');
SELECT is(pg_temp.receivers(webhooks.publish('order.paid', '{}')), '{all,paused,star,tail}', 'a paused subscription keeps receiving messages');
SELECT is((SELECT state FROM webhooks.messages m JOIN webhooks.subscriptions s ON s.id = m.subscription_id WHERE s.name = 'paused'),
          'pending', 'held for it as pending');
SELECT is((SELECT pending FROM webhooks.subscription_status WHERE name = 'paused'), 1::bigint, 'and counted as pending');

-- an event type registered after the subscriptions
INSERT INTO webhooks.event_types (name) VALUES ('order.refunded');
SELECT is(pg_temp.receivers(webhooks.publish('order.refunded', '{}')), '{all,star,tail}', 'a new event type is routed to existing subscriptions');

-- changing a subscription's patterns re-routes it
UPDATE webhooks.subscriptions SET event_types = '{invoice.*}' WHERE name = 'exact';
SELECT is(pg_temp.receivers(webhooks.publish('invoice.paid', '{}')), '{all,exact,paused}', 'new patterns route at once');
SELECT is(pg_temp.receivers(webhooks.publish('order.created', '{}')), '{all,star,tail}', 'old patterns no longer route');

-- a subscription created later does not get earlier events
SELECT is((SELECT count(*) FROM webhooks.events), 6::bigint, 'six events so far');
INSERT INTO webhooks.subscriptions (name, url, event_types) VALUES ('late', 'https://a.example/h', '{>}');
SELECT is((SELECT count(*) FROM webhooks.messages m JOIN webhooks.subscriptions s ON s.id = m.subscription_id WHERE s.name = 'late'),
          0::bigint, 'a later subscription receives no earlier event');

-- one statement inserting many events queues all of them; a subscription
-- made between publish and fan-out gets none of them
INSERT INTO webhooks.events (event_type, payload) SELECT 'invoice.paid', jsonb_build_object('n', n) FROM generate_series(1, 50) n;
SELECT is((SELECT count(*) FROM webhooks.fan_out_queue), 50::bigint, 'a multi-row INSERT queues every row''s fan-out');
INSERT INTO webhooks.subscriptions (name, url, event_types) VALUES ('later', 'https://a.example/h', '{invoice.*}');
SELECT is(webhooks.fan_out_queued(), 200::bigint, 'and the fan-out makes 50 events x the 4 subscriptions routed when they were published');
DELETE FROM webhooks.subscriptions WHERE name = 'later';

DELETE FROM webhooks.subscriptions WHERE name = 'late';
SELECT throws_ok($$SELECT webhooks.fan_out_queued(0)$$, '22023', 'max_events must be at least 1, not 0', 'fan_out_queued refuses a batch below 1');
SELECT is((SELECT count(*) FROM webhooks.routes r WHERE NOT EXISTS (SELECT FROM webhooks.subscriptions s WHERE s.id = r.subscription_id)),
          0::bigint, 'deleting a subscription removes its routes');

SELECT * FROM finish();
ROLLBACK;

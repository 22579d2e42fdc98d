-- webhooks.ping(subscription), run as webhooks_admin: a test event of type
-- webhooks.ping goes to that one subscription now, even if its patterns do
-- not match, and to no other (not even one subscribed to '>'); a paused or
-- tripped subscription is refused with a clear error; an unknown name too;
-- only admins may ping.
BEGIN;
SELECT plan(13);

INSERT INTO webhooks.event_types (name) VALUES ('order.created');
INSERT INTO webhooks.subscriptions (name, url, event_types) VALUES
    ('billing', 'https://billing.example/h', '{order.created}'),
    ('firehose', 'https://all.example/h', '{>}'),
    ('alerts', 'https://alerts.example/h', '{webhooks.>}'),
    ('paused', 'https://p.example/h', '{order.created}');
UPDATE webhooks.subscriptions SET enabled = false WHERE name = 'paused';

SELECT is((SELECT count(*) FROM webhooks.event_types WHERE name = 'webhooks.ping'), 1::bigint, 'webhooks.ping is registered');

SET LOCAL ROLE webhooks_admin;
CREATE TEMP TABLE pinged AS SELECT webhooks.ping('billing') AS event_id;
RESET ROLE;

SELECT isnt((SELECT event_id FROM pinged), NULL, 'ping returns the event id');
SELECT is((SELECT (event_type, payload ->> 'subscription') FROM webhooks.events WHERE id = (SELECT event_id FROM pinged)),
          ('webhooks.ping'::text, 'billing'::text), 'the event is a webhooks.ping naming the subscription');
SELECT results_eq($$SELECT s.name, m.state, m.attempts, m.next_attempt_at <= now()
                      FROM webhooks.messages m JOIN webhooks.subscriptions s ON s.id = m.subscription_id
                     WHERE m.event_id = (SELECT event_id FROM pinged)$$,
                  $$VALUES ('billing'::text, 'pending'::text, 0, true)$$,
                  'one message, to that subscription only (not to ''>'' nor ''webhooks.>''), due now');
SELECT is((SELECT count(*) FROM webhooks.routes WHERE event_type = 'webhooks.ping'), 0::bigint,
          'webhooks.ping is never routed by pattern');
SELECT is((SELECT count(*) FROM webhooks.claim('w', 100, '1 min') c WHERE c.event_id = (SELECT event_id FROM pinged)), 1::bigint,
          'a worker claims it at once');

INSERT INTO webhooks.subscriptions (name, url, event_types) VALUES ('late', 'https://late.example/h', '{>}');
SELECT is((SELECT count(*) FROM webhooks.routes r JOIN webhooks.subscriptions s ON s.id = r.subscription_id
            WHERE s.name = 'late' AND r.event_type = 'webhooks.ping'), 0::bigint, 'nor for a subscription made later');

SET LOCAL ROLE webhooks_admin;
SELECT throws_ok($$SELECT webhooks.ping('paused')$$, '55000', 'subscription "paused" is paused: a ping would wait until it is enabled',
                 'a paused subscription is refused');
SELECT throws_ok($$SELECT webhooks.ping('nobody')$$, 'P0002', 'unknown subscription "nobody"', 'an unknown name is refused');
SELECT lives_ok($$SELECT webhooks.ping('firehose')$$, 'a subscription to ''>'' can be pinged');
RESET ROLE;
UPDATE webhooks.subscriptions SET enabled = false, auto_disabled_at = now() WHERE name = 'billing';
SET LOCAL ROLE webhooks_admin;
SELECT throws_ok($$SELECT webhooks.ping('billing')$$, '55000', 'subscription "billing" is tripped: a ping would wait until it is enabled',
                 'a tripped subscription is refused');
RESET ROLE;

SET LOCAL ROLE webhooks_publisher;
SELECT throws_ok($$SELECT webhooks.ping('firehose')$$, '42501', NULL, 'a publisher may not ping');
RESET ROLE;
SET LOCAL ROLE webhooks_worker;
SELECT throws_ok($$SELECT webhooks.ping('firehose')$$, '42501', NULL, 'nor a worker');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;

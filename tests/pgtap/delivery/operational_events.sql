-- The operational events of contract §7 are registered by the install and
-- published once per occurrence (tripped, recovered; message.failed
-- coalesced, see operational_alerts.sql), with
-- about_subscription_id set: an alerting subscription receives them, the
-- subscription they are about never does. A failed operational message does
-- not raise another message.failed (no alert loops).
BEGIN;
SELECT plan(11);

SELECT set_eq($$SELECT name FROM webhooks.event_types WHERE name LIKE 'webhooks.%'$$,
              ARRAY['webhooks.subscription.tripped', 'webhooks.subscription.recovered', 'webhooks.message.failed',
                    'webhooks.subscription.paused', 'webhooks.ping'],
              'the operational event types and ping are registered');

INSERT INTO webhooks.event_types (name) VALUES ('order.created');
INSERT INTO webhooks.subscriptions (name, url, event_types, circuit_threshold, retry_schedule)
VALUES ('shop', 'https://shop.example/hook', '{order.created,webhooks.>}', 2, '{}'),
       ('alerts', 'https://alerts.example/hook', '{webhooks.>}', 5, '{}');
INSERT INTO webhooks.events (event_type, payload) SELECT 'order.created', '{}' FROM generate_series(1, 3);

-- two final failures for shop, one after the other: one message.failed (the
-- second is coalesced into the next), one tripped
CREATE FUNCTION pg_temp.fail_one(sub text, status int) RETURNS int LANGUAGE sql AS $$
    SELECT webhooks.record('t', (SELECT jsonb_agg(jsonb_build_object('lease_token', lease_token, 'message_id', message_id, 'status_code', status))
                                   FROM webhooks.claim('t', 100, '1 min', ARRAY(SELECT id FROM webhooks.subscriptions WHERE name <> sub))));
$$;
UPDATE webhooks.subscriptions SET max_in_flight = 1 WHERE name = 'shop';
SELECT pg_temp.fail_one('shop', 500);
SELECT pg_temp.fail_one('shop', 500);
SELECT is((SELECT count(*) FROM webhooks.events WHERE event_type = 'webhooks.message.failed'), 1::bigint,
          'one message.failed for the window');
SELECT is((SELECT count(*) FROM webhooks.events WHERE event_type = 'webhooks.subscription.tripped'), 1::bigint,
          'one subscription.tripped');
SELECT ok((SELECT bool_and(about_subscription_id = (SELECT id FROM webhooks.subscriptions WHERE name = 'shop'))
             FROM webhooks.events WHERE event_type LIKE 'webhooks.%'),
          'each is about shop');
SELECT is((SELECT payload->>'subscription' FROM webhooks.events WHERE event_type = 'webhooks.subscription.tripped'), 'shop',
          'the payload names the subscription');
SELECT webhooks.fan_out_queued();  -- what a worker's next claim does first
SELECT set_eq($$SELECT s.name, count(*) FROM webhooks.messages m JOIN webhooks.events e ON e.id = m.event_id
                 JOIN webhooks.subscriptions s ON s.id = m.subscription_id WHERE e.event_type LIKE 'webhooks.%' GROUP BY 1$$,
              $$VALUES ('alerts'::text, 2::bigint)$$,
              'both go to alerts, none to shop although shop subscribes to webhooks.>');

-- recovery (here by the operator), once
UPDATE webhooks.subscriptions SET enabled = true WHERE name = 'shop';
UPDATE webhooks.subscriptions SET enabled = true WHERE name = 'shop';
SELECT is((SELECT count(*) FROM webhooks.events WHERE event_type = 'webhooks.subscription.recovered'), 1::bigint,
          'one subscription.recovered');
SELECT webhooks.fan_out_queued();  -- what a worker's next claim does first
SELECT is((SELECT count(*) FROM webhooks.messages m JOIN webhooks.events e ON e.id = m.event_id
            WHERE e.event_type = 'webhooks.subscription.recovered' AND m.subscription_id = (SELECT id FROM webhooks.subscriptions WHERE name = 'alerts')),
          1::bigint, 'it goes to alerts');

-- pausing and resuming are not trips or recoveries
UPDATE webhooks.subscriptions SET enabled = false WHERE name = 'alerts';
UPDATE webhooks.subscriptions SET enabled = true WHERE name = 'alerts';
SELECT is((SELECT count(*) FROM webhooks.events WHERE event_type LIKE 'webhooks.subscription.%'), 2::bigint,
          'a pause and a resume publish nothing');

-- alerts fails its operational messages for good: no message.failed about them
SET LOCAL webhooks.failed_alert_window = '0';
SELECT pg_temp.fail_one('alerts', 404);
SELECT is((SELECT count(*) FROM webhooks.messages m JOIN webhooks.subscriptions s ON s.id = m.subscription_id
            WHERE s.name = 'alerts' AND m.state = 'failed'), 3::bigint, 'alerts'' three operational messages failed');
SELECT is((SELECT count(*) FROM webhooks.events WHERE event_type = 'webhooks.message.failed'), 1::bigint,
          'no message.failed about a failed operational message');

SELECT * FROM finish();
ROLLBACK;

-- A 410 Gone fails the message at once and pauses the subscription (enabled
-- = false, auto_disabled_at NULL: paused, not tripped, so never probed),
-- with last_error saying why; no tripped event.
BEGIN;
SELECT plan(6);

INSERT INTO webhooks.event_types (name) VALUES ('order.created');
INSERT INTO webhooks.subscriptions (name, url, event_types, circuit_threshold)
VALUES ('shop', 'https://shop.example/hook', '{order.created}', 1);
INSERT INTO webhooks.events (event_type, payload) SELECT 'order.created', '{}' FROM generate_series(1, 3);
CREATE TEMP TABLE c AS SELECT * FROM webhooks.claim('t', 1, '1 min');
SELECT webhooks.record('t', (SELECT jsonb_agg(jsonb_build_object('lease_token', lease_token, 'message_id', message_id, 'status_code', 410)) FROM c));

SELECT is((SELECT state FROM webhooks.messages WHERE id = (SELECT message_id FROM c)), 'failed', 'the message failed at once');
SELECT results_eq($$SELECT enabled, auto_disabled_at, probe_at FROM webhooks.subscriptions$$,
                  $$VALUES (false, NULL::timestamptz, NULL::timestamptz)$$, 'the subscription is paused, not tripped');
SELECT alike((SELECT last_error FROM webhooks.subscriptions), '%410 Gone%', 'last_error says why');
SELECT is((SELECT state FROM webhooks.subscription_status), 'paused', 'the status view says paused');
SELECT is((SELECT count(*) FROM webhooks.claim('t', 100, '1 min')), 0::bigint, 'nothing is claimed, not even a probe');
SELECT is((SELECT count(*) FROM webhooks.events WHERE event_type = 'webhooks.subscription.tripped'), 0::bigint,
          'no tripped event');

SELECT * FROM finish();
ROLLBACK;

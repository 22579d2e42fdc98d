-- An operator re-enables a tripped subscription mid-trip with plain SQL: the
-- failure state is cleared, held messages are due at once, one recovered
-- event is published, and a probe already in flight is then an ordinary
-- message.
BEGIN;
SELECT plan(6);

INSERT INTO webhooks.event_types (name) VALUES ('order.created');
INSERT INTO webhooks.subscriptions (name, url, event_types, circuit_threshold, max_in_flight)
VALUES ('shop', 'https://shop.example/hook', '{order.created}', 2, 1);
INSERT INTO webhooks.events (event_type, payload) SELECT 'order.created', '{}' FROM generate_series(1, 5);
-- two rounds, one failed request each
SELECT webhooks.record('t', (SELECT jsonb_agg(jsonb_build_object('lease_token', lease_token, 'message_id', message_id, 'status_code', 500))
                               FROM webhooks.claim('t', 100, '1 min')));
SELECT webhooks.record('t', (SELECT jsonb_agg(jsonb_build_object('lease_token', lease_token, 'message_id', message_id, 'status_code', 500))
                               FROM webhooks.claim('t', 100, '1 min')));
SELECT is((SELECT state FROM webhooks.subscription_status), 'tripped', 'tripped');
UPDATE webhooks.subscriptions SET probe_at = now() - interval '1 s', max_in_flight = 10;
CREATE TEMP TABLE probe AS SELECT * FROM webhooks.claim('t', 100, '1 min');

UPDATE webhooks.subscriptions SET enabled = true WHERE name = 'shop';
SELECT results_eq($$SELECT enabled, auto_disabled_at, consecutive_failures, last_error, probe_at FROM webhooks.subscriptions$$,
                  $$VALUES (true, NULL::timestamptz, 0, NULL::text, NULL::timestamptz)$$, 'UPDATE SET enabled = true clears the failure state');
SELECT is((SELECT count(*) FROM webhooks.claim('t', 100, '1 min')), 2::bigint,
          'the held messages that are due (2 never tried; 2 wait for their retry, 1 is the probe) are claimed at once');
SELECT is((SELECT count(*) FROM webhooks.events WHERE event_type = 'webhooks.subscription.recovered'), 1::bigint,
          'one recovered event');
SELECT webhooks.record('t', (SELECT jsonb_agg(jsonb_build_object('lease_token', lease_token, 'message_id', message_id, 'status_code', 500)) FROM probe));
SELECT results_eq($$SELECT enabled, consecutive_failures, probe_cooldown FROM webhooks.subscriptions$$,
                  $$VALUES (true, 1, NULL::interval)$$, 'the old probe''s failure is an ordinary failure now');
SELECT is((SELECT count(*) FROM webhooks.events WHERE event_type LIKE 'webhooks.subscription.%'), 2::bigint,
          'one tripped and one recovered event in all');

SELECT * FROM finish();
ROLLBACK;

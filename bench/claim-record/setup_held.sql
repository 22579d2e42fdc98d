-- A healthy subscription with 10,000 due messages and a tripped one. With
-- :held > 0, :held messages are held for the tripped one (all of them would
-- be due if it were enabled).
INSERT INTO webhooks.event_types (name) VALUES ('bench.event'), ('bench.other');
INSERT INTO webhooks.subscriptions (name, url, event_types, max_in_flight)
VALUES ('healthy', 'https://healthy.example/hook', '{bench.event}', 1000),
       ('tripped', 'https://tripped.example/hook', '{bench.other}', 1000);
UPDATE webhooks.subscriptions SET enabled = false, auto_disabled_at = now(), probe_at = now() + interval '1 day'
 WHERE name = 'tripped';
INSERT INTO webhooks.events (event_type, payload)
SELECT 'bench.event', jsonb_build_object('order', g) FROM generate_series(1, 10000) g;
INSERT INTO webhooks.events (id, event_type, payload)
VALUES ('00000000-0000-4000-8000-000000000000', 'bench.other', '{}');
INSERT INTO webhooks.messages (event_id, subscription_id, next_attempt_at, created_at)
SELECT '00000000-0000-4000-8000-000000000000', (SELECT id FROM webhooks.subscriptions WHERE name = 'tripped'),
       now() - (g % 3600) * interval '1 second', now()
  FROM generate_series(1, :held) g;
VACUUM ANALYZE webhooks.messages;
VACUUM ANALYZE webhooks.subscriptions;

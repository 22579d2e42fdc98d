-- :subs subscriptions, :messages messages spread over them, all due.
INSERT INTO webhooks.event_types (name) VALUES ('bench.event');
INSERT INTO webhooks.subscriptions (name, url, event_types, max_in_flight)
SELECT 'bench' || g, 'https://bench' || g || '.example/hook', '{bench.event}', 10000 FROM generate_series(1, :subs) g;
-- one event per subscription-share: each event fans out to every subscription
INSERT INTO webhooks.events (event_type, payload)
SELECT 'bench.event', jsonb_build_object('order', g, 'total', g * 3, 'currency', 'EUR') FROM generate_series(1, :messages / :subs) g;
VACUUM ANALYZE webhooks.messages;
VACUUM ANALYZE webhooks.subscriptions;

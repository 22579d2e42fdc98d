-- :subs subscriptions, :messages messages spread over them, all due.
-- :cold = 1: the tables are analyzed while empty and the messages published
-- afterwards (statistics say "empty", as a burst finds them before
-- autovacuum analyzes); 0: VACUUM ANALYZE after publishing.
INSERT INTO webhooks.event_types (name) VALUES ('bench.event');
INSERT INTO webhooks.subscriptions (name, url, event_types, max_in_flight)
SELECT 'bench' || g, 'https://bench' || g || '.example/hook', '{bench.event}', 10000 FROM generate_series(1, :subs) g;
\if :cold
VACUUM ANALYZE webhooks.messages;
VACUUM ANALYZE webhooks.subscriptions;
VACUUM ANALYZE webhooks.leases;
\endif
-- one event per subscription-share: each event fans out to every subscription
INSERT INTO webhooks.events (event_type, payload)
SELECT 'bench.event', jsonb_build_object('order', g, 'total', g * 3, 'currency', 'EUR') FROM generate_series(1, :messages / :subs) g;
\if :cold
\else
VACUUM ANALYZE webhooks.messages;
VACUUM ANALYZE webhooks.subscriptions;
\endif

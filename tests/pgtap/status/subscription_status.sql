-- webhooks.subscription_status (contract §4): exactly the listed columns,
-- no secret, states, warnings, pending/failed counts and the 24-hour figures.
BEGIN;
SELECT plan(8);

SELECT columns_are('webhooks', 'subscription_status', ARRAY['name', 'url', 'state', 'warnings', 'consecutive_failures',
    'last_error', 'auto_disabled_at', 'pending', 'failed', 'delivered_24h', 'failed_attempts_24h', 'p50_ms_24h',
    'p95_ms_24h', 'last_success_at'], 'the contract''s columns, no secret');

INSERT INTO webhooks.event_types (name) VALUES ('a.b');
INSERT INTO webhooks.subscriptions (name, url, event_types) VALUES
    ('plain', 'http://a.example/h', '{a.b}'), ('tls', 'https://a.example/h', '{a.b}');
SELECT webhooks.publish('a.b', '{}') FROM generate_series(1, 3);

SELECT is((SELECT warnings FROM webhooks.subscription_status WHERE name = 'plain'), '{insecure_url}', 'http:// warns');
SELECT is((SELECT warnings FROM webhooks.subscription_status WHERE name = 'tls'), '{}', 'https:// does not');
SELECT is((SELECT pending FROM webhooks.subscription_status WHERE name = 'tls'), 3::bigint, 'pending counts queued messages');

INSERT INTO webhooks.deliveries (event_id, subscription_id, attempt, duration_ms, outcome, attempted_at)
SELECT e.id, s.id, 1, d, o, now() - interval '1 minute'
  FROM (SELECT id FROM webhooks.events LIMIT 1) e, webhooks.subscriptions s,
       (VALUES (10, 'delivered'), (20, 'delivered'), (30, 'delivered'), (500, 'retrying')) v(d, o)
 WHERE s.name = 'tls';
INSERT INTO webhooks.deliveries (event_id, subscription_id, attempt, duration_ms, outcome, attempted_at)
SELECT e.id, s.id, 1, 5, 'delivered', now() - interval '2 days'
  FROM (SELECT id FROM webhooks.events LIMIT 1) e, webhooks.subscriptions s WHERE s.name = 'tls';

SELECT is((SELECT delivered_24h FROM webhooks.subscription_status WHERE name = 'tls'), 3::bigint, 'delivered_24h counts the last day only');
SELECT is((SELECT failed_attempts_24h FROM webhooks.subscription_status WHERE name = 'tls'), 1::bigint, 'failed attempts are counted');
SELECT is((SELECT p50_ms_24h FROM webhooks.subscription_status WHERE name = 'tls'), 20::double precision, 'p50 of delivered attempts');
SELECT ok((SELECT last_success_at > now() - interval '2 minutes' FROM webhooks.subscription_status WHERE name = 'tls'), 'last_success_at');

SELECT * FROM finish();
ROLLBACK;

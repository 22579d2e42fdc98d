-- webhooks.subscription_status (contract §4): exactly the listed columns,
-- no secret, the URL with credentials and query values redacted (contract
-- §9), states, warnings, pending/failed counts and the 24-hour figures,
-- p50/p95 rounded for people (issue 11: no 39.499999999999986).
BEGIN;
SELECT plan(13);

SELECT columns_are('webhooks', 'subscription_status', ARRAY['name', 'url', 'state', 'warnings', 'consecutive_failures',
    'last_error', 'auto_disabled_at', 'pending', 'failed', 'delivered_24h', 'failed_attempts_24h', 'p50_ms_24h',
    'p95_ms_24h', 'last_success_at'], 'the contract''s columns, no secret');

INSERT INTO webhooks.event_types (name) VALUES ('a.b');
INSERT INTO webhooks.subscriptions (name, url, event_types) VALUES
    ('plain', 'http://a.example/h', '{a.b}'), ('tls', 'https://a.example/h', '{a.b}'),
    ('creds', 'https://ops:hunter2@a.example/h?token=abc123&v=2', '{a.b}'),
    ('typo', 'https://a.example/h', '{a.c}');
SELECT webhooks.publish('a.b', '{}') FROM generate_series(1, 3);

SELECT is((SELECT warnings FROM webhooks.subscription_status WHERE name = 'plain'), '{insecure_url}', 'http:// warns');
SELECT is((SELECT warnings FROM webhooks.subscription_status WHERE name = 'tls'), '{}', 'https:// does not');
SELECT is((SELECT warnings FROM webhooks.subscription_status WHERE name = 'typo'), '{matches_no_event_type}',
          'a subscription whose patterns match no registered event type says so');
SELECT is((SELECT pending FROM webhooks.subscription_status WHERE name = 'tls'), 3::bigint, 'pending counts queued messages');
SELECT is((SELECT url FROM webhooks.subscription_status WHERE name = 'creds'), 'https://***@a.example/h?token=***&v=***',
          'the URL shows with userinfo and query values redacted');
SELECT is((SELECT count(*) FROM webhooks.subscription_status s
            WHERE concat_ws(' ', s.*) ~ 'hunter2|abc123|whsec_'), 0::bigint, 'no row carries a password, token or secret');

INSERT INTO webhooks.deliveries (event_id, subscription_id, attempt, duration_ms, outcome, attempted_at)
SELECT e.id, s.id, 1, d, o, now() - interval '1 minute'
  FROM (SELECT id FROM webhooks.events LIMIT 1) e, webhooks.subscriptions s,
       (VALUES (10, 'delivered'), (20, 'delivered'), (30, 'delivered'), (500, 'retrying')) v(d, o)
 WHERE s.name = 'tls';
INSERT INTO webhooks.deliveries (event_id, subscription_id, attempt, duration_ms, outcome, attempted_at)
SELECT e.id, s.id, 1, 5, 'delivered', now() - interval '2 days'
  FROM (SELECT id FROM webhooks.events LIMIT 1) e, webhooks.subscriptions s WHERE s.name = 'tls';
-- durations whose p95 interpolates to float noise (39.499999999999986 unrounded)
INSERT INTO webhooks.deliveries (event_id, subscription_id, attempt, duration_ms, outcome, attempted_at)
SELECT e.id, s.id, 1, d, 'delivered', now() - interval '1 minute'
  FROM (SELECT id FROM webhooks.events LIMIT 1) e, webhooks.subscriptions s, unnest('{1,2,3,4,5,6,7,8,9,10,11,30,40}'::int[]) d
 WHERE s.name = 'plain';

SELECT is((SELECT delivered_24h FROM webhooks.subscription_status WHERE name = 'tls'), 3::bigint, 'delivered_24h counts the last day only');
SELECT is((SELECT failed_attempts_24h FROM webhooks.subscription_status WHERE name = 'tls'), 1::bigint, 'failed attempts are counted');
SELECT is((SELECT p50_ms_24h FROM webhooks.subscription_status WHERE name = 'tls'), 20.0, 'p50 of delivered attempts');
SELECT ok((SELECT last_success_at > now() - interval '2 minutes' FROM webhooks.subscription_status WHERE name = 'tls'), 'last_success_at');
SELECT is((SELECT p95_ms_24h::text FROM webhooks.subscription_status WHERE name = 'plain'),
          round((SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY d) FROM unnest('{1,2,3,4,5,6,7,8,9,10,11,30,40}'::int[]) d)::numeric, 1)::text,
          'p95 is rounded to a tenth of a millisecond');
SELECT is((SELECT scale(p50_ms_24h) FROM webhooks.subscription_status WHERE name = 'plain'), 1, 'with one decimal, not float noise');

SELECT * FROM finish();
ROLLBACK;

-- A new subscription gets a fresh whsec_ secret of 32 bytes and the
-- documented defaults (contract §4).
BEGIN;
SELECT plan(9);

INSERT INTO webhooks.subscriptions (name, url, event_types) VALUES ('a', 'https://a.example/h', '{x}');
INSERT INTO webhooks.subscriptions (name, url, event_types) VALUES ('b', 'https://b.example/h', '{x}');

SELECT matches((SELECT secret FROM webhooks.subscriptions WHERE name = 'a'), '^whsec_[A-Za-z0-9+/]+={0,2}$', 'the secret is whsec_ + base64');
SELECT is((SELECT length(decode(substr(secret, 7), 'base64')) FROM webhooks.subscriptions WHERE name = 'a'), 32, 'the secret holds 32 bytes');
SELECT isnt((SELECT secret FROM webhooks.subscriptions WHERE name = 'a'), (SELECT secret FROM webhooks.subscriptions WHERE name = 'b'), 'each subscription gets its own secret');
SELECT is((SELECT retry_schedule FROM webhooks.subscriptions WHERE name = 'a'), '{5s,5min,30min,2h,5h,10h,10h}'::interval[], 'default retry schedule');
SELECT is((SELECT timeout FROM webhooks.subscriptions WHERE name = 'a'), '10s'::interval, 'default timeout is 10s');
SELECT is((SELECT circuit_threshold FROM webhooks.subscriptions WHERE name = 'a'), 5, 'default circuit threshold is 5');
SELECT is((SELECT (enabled, consecutive_failures, auto_disabled_at IS NULL) FROM webhooks.subscriptions WHERE name = 'a'),
          (true, 0, true), 'a new subscription is enabled with no failures');
SELECT is((SELECT secret FROM webhooks.subscriptions WHERE name = 'b'),
          (SELECT secret FROM webhooks.subscriptions WHERE name = 'b'), 'secret is readable back by the operator');
SELECT throws_ok($$INSERT INTO webhooks.subscriptions (name, url, event_types) VALUES ('a', 'https://c.example', '{x}')$$,
    '23505', NULL, 'names are unique');

SELECT * FROM finish();
ROLLBACK;

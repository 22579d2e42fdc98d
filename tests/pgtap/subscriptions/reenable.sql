-- UPDATE ... SET enabled = true on a disabled subscription clears
-- auto_disabled_at, consecutive_failures and last_error, whichever client
-- writes it; pausing keeps auto_disabled_at NULL (contract §4).
BEGIN;
SELECT plan(6);

INSERT INTO webhooks.subscriptions (name, url, event_types) VALUES ('s', 'https://a.example/h', '{x}');
-- what a circuit trip leaves behind
UPDATE webhooks.subscriptions
   SET enabled = false, auto_disabled_at = now(), consecutive_failures = 5, last_error = 'HTTP 503'
 WHERE name = 's';
SELECT is((SELECT state FROM webhooks.subscription_status WHERE name = 's'), 'tripped', 'a trip shows as tripped');

UPDATE webhooks.subscriptions SET enabled = true WHERE name = 's';
SELECT is((SELECT (auto_disabled_at, consecutive_failures, last_error) FROM webhooks.subscriptions WHERE name = 's'),
          (NULL::timestamptz, 0, NULL::text), 're-enabling clears the failure state');
SELECT is((SELECT state FROM webhooks.subscription_status WHERE name = 's'), 'active', 'and it shows as active');

UPDATE webhooks.subscriptions SET enabled = false WHERE name = 's';
SELECT is((SELECT state FROM webhooks.subscription_status WHERE name = 's'), 'paused', 'an operator pause shows as paused');

UPDATE webhooks.subscriptions SET consecutive_failures = 2, last_error = 'x' WHERE name = 's';
UPDATE webhooks.subscriptions SET url = 'https://b.example/h' WHERE name = 's';
SELECT is((SELECT consecutive_failures FROM webhooks.subscriptions WHERE name = 's'), 2, 'other updates leave the failure state alone');
UPDATE webhooks.subscriptions SET enabled = true WHERE name = 's';
SELECT is((SELECT (consecutive_failures, last_error) FROM webhooks.subscriptions WHERE name = 's'),
          (0, NULL::text), 'resuming after a pause takes the same path');

SELECT * FROM finish();
ROLLBACK;

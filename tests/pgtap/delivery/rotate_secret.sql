-- webhooks.rotate_secret returns a fresh secret; during the grace period
-- claim hands out both (newest first), after it only the new one; a zero
-- grace drops the old one at once.
BEGIN;
SELECT plan(8);

INSERT INTO webhooks.event_types (name) VALUES ('order.created');
INSERT INTO webhooks.subscriptions (name, url, event_types, secret)
VALUES ('shop', 'https://shop.example/hook', '{order.created}', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
CREATE TEMP TABLE fresh AS SELECT webhooks.rotate_secret('shop') AS secret;

SELECT ok((SELECT secret ~ '^whsec_' AND secret <> 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' FROM fresh), 'a fresh whsec_ secret is returned');
SELECT is((SELECT secret FROM webhooks.subscriptions), (SELECT secret FROM fresh), 'and stored');
INSERT INTO webhooks.events (event_type, payload) VALUES ('order.created', '{}');
SELECT is((SELECT secrets FROM webhooks.claim('t', 10, '1 min')),
          ARRAY[(SELECT secret FROM fresh), 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], 'within the grace period both sign, newest first');
SELECT is((SELECT previous_secret_expires_at FROM webhooks.subscriptions), now() + interval '24 hours', 'the default grace is 24 hours');

UPDATE webhooks.subscriptions SET previous_secret_expires_at = now() - interval '1 s';
UPDATE webhooks.messages SET lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = now();
SELECT is((SELECT secrets FROM webhooks.claim('t', 10, '1 min')), ARRAY[(SELECT secret FROM fresh)], 'after it only the new one');

SELECT ok(webhooks.rotate_secret('shop', '0') IS NOT NULL, 'rotated again with zero grace');
SELECT is((SELECT previous_secret FROM webhooks.subscriptions), NULL, 'a zero grace keeps no old secret');
SELECT throws_ok($$SELECT webhooks.rotate_secret('nope')$$, 'P0002', 'unknown subscription "nope"', 'an unknown name is an error');

SELECT * FROM finish();
ROLLBACK;

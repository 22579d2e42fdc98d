-- Only webhooks_worker and webhooks_admin may claim, record, release and ask
-- next_due; the admin functions are webhooks_admin's alone; a publisher can
-- do none of it (SET ROLE to each role).
BEGIN;
SELECT plan(16);

INSERT INTO webhooks.event_types (name) VALUES ('order.created');
INSERT INTO webhooks.subscriptions (name, url, event_types) VALUES ('shop', 'https://shop.example/hook', '{order.created}');
INSERT INTO webhooks.events (event_type, payload) VALUES ('order.created', '{}');

SET LOCAL ROLE webhooks_publisher;
SELECT throws_ok($$SELECT * FROM webhooks.claim('p', 10, '1 min')$$, '42501', NULL, 'a publisher cannot claim');
SELECT throws_ok($$SELECT webhooks.record('p', '[]')$$, '42501', NULL, 'a publisher cannot record');
SELECT throws_ok($$SELECT webhooks.release('p', gen_random_uuid(), '{1}')$$, '42501', NULL, 'a publisher cannot release');
SELECT throws_ok($$SELECT webhooks.next_due()$$, '42501', NULL, 'a publisher cannot ask next_due');
SELECT throws_ok($$SELECT webhooks.replay('shop')$$, '42501', NULL, 'a publisher cannot replay');
SELECT throws_ok($$SELECT webhooks.rotate_secret('shop')$$, '42501', NULL, 'a publisher cannot rotate secrets');
RESET ROLE;

SET LOCAL ROLE webhooks_worker;
CREATE TEMP TABLE c AS SELECT * FROM webhooks.claim('w', 10, '1 min');
SELECT is(webhooks.release('w', (SELECT lease_token FROM c), ARRAY(SELECT message_id FROM c)), 1, 'a worker claims and releases');
SELECT isnt(webhooks.next_due(), NULL, 'a worker asks next_due');
SELECT is(webhooks.record('w', '[]'), 0, 'a worker records');
SELECT throws_ok($$SELECT webhooks.replay('shop')$$, '42501', NULL, 'a worker cannot replay');
SELECT throws_ok($$SELECT webhooks.redeliver(gen_random_uuid())$$, '42501', NULL, 'a worker cannot redeliver');
SELECT throws_ok($$SELECT webhooks.discard_pending('shop')$$, '42501', NULL, 'a worker cannot discard');
SELECT throws_ok($$SELECT webhooks.purge('1 day')$$, '42501', NULL, 'a worker cannot purge');
SELECT throws_ok($$SELECT secret FROM webhooks.subscriptions$$, '42501', NULL, 'a worker reads no secrets directly');
RESET ROLE;

SET LOCAL ROLE webhooks_admin;
SELECT is(webhooks.replay('shop'), 0::bigint, 'an admin replays');
SELECT is((SELECT count(*) FROM webhooks.claim('a', 10, '1 min')), 1::bigint, 'an admin may claim too (debugging)');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;

-- Event type names (contract §3): lower-case dot-separated segments of
-- [a-z0-9_-], at most 128 characters, enforced by a CHECK constraint.
BEGIN;
SELECT plan(9);

SELECT lives_ok($$INSERT INTO webhooks.event_types (name) VALUES ('order.created')$$, 'a two-segment name is accepted');
SELECT lives_ok($$INSERT INTO webhooks.event_types (name) VALUES ('invoice.payment.failed')$$, 'three segments are accepted');
SELECT lives_ok($$INSERT INTO webhooks.event_types (name) VALUES ('a_b-c.d9')$$, 'digits, _ and - are accepted');
SELECT lives_ok(format('INSERT INTO webhooks.event_types (name) VALUES (%L)', repeat('a', 128)), '128 characters are accepted');

-- Invalid input: each refused by the CHECK constraint
SELECT throws_ok($$INSERT INTO webhooks.event_types (name) VALUES ('Order.Created')$$, '23514', NULL, 'upper case is refused');
SELECT throws_ok($$INSERT INTO webhooks.event_types (name) VALUES ('order..created')$$, '23514', NULL, 'an empty segment is refused');
SELECT throws_ok($$INSERT INTO webhooks.event_types (name) VALUES ('order.created.')$$, '23514', NULL, 'a trailing dot is refused');
SELECT throws_ok(format('INSERT INTO webhooks.event_types (name) VALUES (%L)', repeat('a', 129)), '23514', NULL, '129 characters are refused');
SELECT throws_ok($$INSERT INTO webhooks.event_types (name) VALUES ('order created')$$,
    '23514', 'invalid event type name "order created": lower-case dot-separated segments of [a-z0-9_-] (e.g. order.created), at most 128 characters',
    'a space is refused with the rule spelled out');

SELECT * FROM finish();
ROLLBACK;

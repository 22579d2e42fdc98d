-- Limits publishers cannot lift (issue 8, contract §9) and errors a person
-- understands (issue 11), tried as the roles themselves:
--  - event types under "webhooks." are the extension's: a publisher can
--    neither publish() nor INSERT them; the extension's own code still does;
--  - webhooks.max_payload_bytes comes from webhooks.settings (admin only): a
--    session SET does not raise it; the admin's value applies, within a hard
--    ceiling; errors give both sizes;
--  - idempotency keys: empty and over-long keys get clear errors;
--  - event types: the name rule is spelled out; renaming a used type is refused.
BEGIN;
SELECT plan(19);

CREATE ROLE wt_lim_pub LOGIN;
CREATE ROLE wt_lim_ops LOGIN;
GRANT webhooks_publisher TO wt_lim_pub;
GRANT webhooks_admin TO wt_lim_ops;
INSERT INTO webhooks.event_types (name) VALUES ('order.created');
INSERT INTO webhooks.subscriptions (name, url, event_types) VALUES ('shop', 'https://a.example/h', '{order.>}'),
                                                                   ('alerts', 'https://a.example/a', '{webhooks.>}');

CREATE FUNCTION pg_temp.as_role(r text, q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('SET LOCAL ROLE %I', r);
    BEGIN
        EXECUTE q;
    EXCEPTION WHEN OTHERS THEN
        RESET ROLE;
        RETURN SQLSTATE || ': ' || SQLERRM;
    END;
    RESET ROLE;
    RETURN 'ok';
END
$$;

-- reserved types
SELECT is(pg_temp.as_role('wt_lim_pub', $$SELECT webhooks.publish('webhooks.subscription.tripped', '{}')$$),
          '42501: event type "webhooks.subscription.tripped" is reserved: types under "webhooks." are published by pg_webhooks itself',
          'a publisher cannot publish() a webhooks. type');
SELECT is(pg_temp.as_role('wt_lim_pub', $$INSERT INTO webhooks.events (event_type, payload) VALUES ('webhooks.message.failed', '{}')$$),
          '42501: event type "webhooks.message.failed" is reserved: types under "webhooks." are published by pg_webhooks itself',
          'nor INSERT one into webhooks.events');
SELECT alike(pg_temp.as_role('wt_lim_ops', $$INSERT INTO webhooks.events (event_type, payload) VALUES ('webhooks.message.failed', '{}')$$),
          '42501: event type "webhooks.message.failed" is reserved%', 'nor can an admin');
SELECT is(pg_temp.as_role('wt_lim_ops', $$UPDATE webhooks.subscriptions SET enabled = false, auto_disabled_at = now() WHERE name = 'shop'$$),
          'ok', 'an admin trips a subscription by hand');
SELECT is((SELECT count(*) FROM webhooks.events WHERE event_type = 'webhooks.subscription.tripped'), 1::bigint,
          'and the extension''s own code still publishes its webhooks. event');
SELECT is(pg_temp.as_role('wt_lim_pub', $$SELECT webhooks.publish('order.created', '{"ok": true}')$$), 'ok', 'other types publish as before');

-- payload limit
SELECT is(pg_temp.as_role('wt_lim_pub', format($$SET LOCAL webhooks.max_payload_bytes = 100000000; SELECT webhooks.publish('order.created', %L)$$,
                                                jsonb_build_object('x', repeat('y', 2 * 1048576)))),
          '54000: payload of 2097161 bytes exceeds the limit of 1048576 bytes (webhooks.max_payload_bytes)',
          'a session SET does not raise the limit (2 MiB refused at the 1 MiB default)');
SELECT alike(pg_temp.as_role('wt_lim_pub', $$INSERT INTO webhooks.settings VALUES ('webhooks.max_payload_bytes', 100000000)$$),
            '42501: permission denied%', 'a publisher cannot write the settings');
SELECT is(pg_temp.as_role('wt_lim_ops', $$INSERT INTO webhooks.settings VALUES ('webhooks.max_payload_bytes', 2048)$$), 'ok',
          'an admin sets the limit');
SELECT is(pg_temp.as_role('wt_lim_pub', format($$SELECT webhooks.publish('order.created', %L)$$, jsonb_build_object('x', repeat('y', 3000)))),
          '54000: payload of 3009 bytes exceeds the limit of 2048 bytes (webhooks.max_payload_bytes)', 'the admin''s limit applies, both sizes given');
SELECT is(pg_temp.as_role('wt_lim_pub', format($$SELECT webhooks.publish('order.created', %L)$$, jsonb_build_object('x', repeat('y', 2000)))),
          'ok', 'below it publishes');
SELECT throws_ok($$UPDATE webhooks.settings SET value = 100000000$$, '23514', NULL, 'the limit has a hard ceiling (16 MiB)');

-- idempotency keys
SELECT throws_ok($$SELECT webhooks.publish('order.created', '{}', '')$$, '22023',
    'idempotency_key may not be empty (pass NULL for none)', 'an empty key is refused, not taken as a key');
SELECT throws_ok(format($$SELECT webhooks.publish('order.created', '{}', %L)$$, repeat('k', 3000)), '22023',
    'idempotency_key of 3000 bytes is too long: at most 255 bytes', 'an over-long key names the limit');
SELECT lives_ok(format($$SELECT webhooks.publish('order.created', '{}', %L)$$, repeat('k', 255)), 'a 255-byte key is fine');

-- event types
SELECT throws_ok($$INSERT INTO webhooks.event_types (name) VALUES ('Order.Created')$$, '23514',
    'invalid event type name "Order.Created": lower-case dot-separated segments of [a-z0-9_-] (e.g. order.created), at most 128 characters',
    'the name error spells out the rule');
SELECT throws_ok($$UPDATE webhooks.event_types SET name = 'order.placed' WHERE name = 'order.created'$$, '2BP01',
    'event type "order.created" is in use and cannot be renamed: published events name it', 'renaming a used type is refused clearly');
INSERT INTO webhooks.event_types (name) VALUES ('order.shipped');
UPDATE webhooks.event_types SET name = 'order.sent' WHERE name = 'order.shipped';
SELECT is((SELECT array_agg(event_type) FROM webhooks.routes r JOIN webhooks.subscriptions s ON s.id = r.subscription_id
            WHERE s.name = 'shop' AND event_type LIKE 'order.s%'), '{order.sent}', 'an unused type renames, its routes follow');
SELECT lives_ok($$SELECT webhooks.publish('order.sent', '{}')$$, 'and publishes under the new name');

SELECT * FROM finish();
ROLLBACK;

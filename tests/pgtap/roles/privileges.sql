-- The three roles (contract §2), each tested as itself: publishers publish
-- and read back their ids but see no secrets or subscriptions; admins
-- administer; nobody else gets in.
BEGIN;
SELECT plan(19);

SELECT has_role('webhooks_publisher');
SELECT has_role('webhooks_worker');
SELECT has_role('webhooks_admin');
SELECT is((SELECT bool_and(NOT rolcanlogin) FROM pg_roles WHERE rolname LIKE 'webhooks\_%'), true, 'all three are NOLOGIN');

INSERT INTO webhooks.event_types (name) VALUES ('order.created');
INSERT INTO webhooks.subscriptions (name, url, event_types) VALUES ('s', 'https://a.example/h', '{order.created}');

SET LOCAL ROLE webhooks_publisher;
SELECT isa_ok(webhooks.publish('order.created', '{}'), 'uuid', 'a publisher''s publish');
SELECT lives_ok($$INSERT INTO webhooks.events (event_type, payload) VALUES ('order.created', '{}') RETURNING id$$,
    'a publisher inserts events and reads back the id');
SELECT throws_ok($$SELECT secret FROM webhooks.subscriptions$$, '42501', NULL, 'a publisher cannot read secrets');
SELECT throws_ok($$SELECT name FROM webhooks.subscription_status$$, '42501', NULL, 'nor the status view');
SELECT throws_ok($$SELECT payload FROM webhooks.events$$, '42501', NULL, 'nor other events'' payloads');
SELECT throws_ok($$SELECT * FROM webhooks.messages$$, '42501', NULL, 'nor the outbox');
SELECT throws_ok($$INSERT INTO webhooks.event_types (name) VALUES ('x.y')$$, '42501', NULL, 'nor register event types');
SELECT throws_ok($$SELECT webhooks.generate_secret()$$, '42501', NULL, 'nor make secrets');
RESET ROLE;

SET LOCAL ROLE webhooks_admin;
SELECT lives_ok($$INSERT INTO webhooks.subscriptions (name, url, event_types) VALUES ('t', 'https://b.example/h', '{order.created}') RETURNING secret$$,
    'an admin creates subscriptions and copies the secret');
SELECT lives_ok($$UPDATE webhooks.subscriptions SET enabled = false WHERE name = 't'$$, 'an admin pauses them');
SELECT is((SELECT count(*) FROM webhooks.subscription_status), 2::bigint, 'an admin reads the status view');
RESET ROLE;

SELECT is((SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'webhooks' AND p.prosecdef
              AND NOT coalesce(p.proconfig, '{}') @> ARRAY['search_path=pg_catalog, pg_temp']), 0::bigint,
          'every SECURITY DEFINER function pins search_path');

-- the views for people (subscription_status, message_status, delivery_attempts, event_type_status, ...)
SELECT is((SELECT array_agg(c.relname::text ORDER BY c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'webhooks' AND c.relkind = 'v' AND NOT has_table_privilege('webhooks_admin', c.oid, 'SELECT')),
          NULL, 'an admin reads every view of the schema');
SELECT is((SELECT array_agg(c.relname::text ORDER BY c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'webhooks' AND c.relkind = 'v'
              AND (has_table_privilege('webhooks_publisher', c.oid, 'SELECT') OR has_table_privilege('webhooks_worker', c.oid, 'SELECT'))),
          NULL, 'a publisher or a worker reads none');
SELECT ok(has_function_privilege('webhooks_admin', 'webhooks.ping(text)', 'EXECUTE')
          AND NOT has_function_privilege('webhooks_publisher', 'webhooks.ping(text)', 'EXECUTE')
          AND NOT has_function_privilege('webhooks_worker', 'webhooks.ping(text)', 'EXECUTE'),
          'only an admin may ping');

SELECT * FROM finish();
ROLLBACK;

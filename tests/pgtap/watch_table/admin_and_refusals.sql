-- watch_table as webhooks_admin (issue 8, contract §9): an operator holding
-- webhooks_admin watches tables it may alter (owned by a role it belongs to);
-- on 0.1.0 that failed with "permission denied for function
-- tg_watched_table__publish". Tables it may not alter, the extension's own
-- tables, temporary tables, NULL and reserved prefixes are refused clearly.
BEGIN;
SELECT plan(13);

CREATE ROLE wt_adm_ops LOGIN;
CREATE ROLE wt_adm_app NOLOGIN;
GRANT webhooks_admin TO wt_adm_ops;
GRANT wt_adm_app TO wt_adm_ops;
CREATE SCHEMA adm AUTHORIZATION wt_adm_app;
CREATE TABLE adm.orders (id int PRIMARY KEY, status text);
ALTER TABLE adm.orders OWNER TO wt_adm_app;
CREATE TABLE adm.ledger (id int PRIMARY KEY);  -- owned by the superuser
GRANT USAGE ON SCHEMA adm TO wt_adm_ops;
INSERT INTO webhooks.subscriptions (name, url, event_types) VALUES ('all', 'https://a.example/h', '{>}');

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

SELECT is(pg_temp.as_role('wt_adm_ops', $$SELECT webhooks.watch_table('adm.orders', 'shop.order')$$), 'ok',
          'an admin watches a table owned by a role it belongs to');
INSERT INTO adm.orders VALUES (1, 'new');
SELECT is((SELECT count(*) FROM webhooks.events WHERE event_type = 'shop.order.created'), 1::bigint, 'and the table publishes');
SELECT is(pg_temp.as_role('wt_adm_ops', $$SELECT webhooks.unwatch_table('adm.orders')$$), 'ok', 'and unwatches it');

-- Invalid input: tables it may not alter, the extension's, temporary ones, NULL, reserved prefixes
SELECT alike(pg_temp.as_role('wt_adm_ops', $$SELECT webhooks.watch_table('adm.ledger')$$),
          '42501: permission denied: wt_adm_ops may not alter table adm.ledger (owned by %)',
          'a table the admin may not alter is refused, naming its owner');
SELECT alike(pg_temp.as_role('wt_adm_ops', $$SELECT webhooks.unwatch_table('adm.ledger')$$),
          '42501: permission denied: wt_adm_ops may not alter table adm.ledger (owned by %)',
          'unwatch_table too');
SELECT throws_ok($$SELECT webhooks.watch_table('webhooks.events')$$, '42809',
    'webhooks.events belongs to pg_webhooks and cannot be watched', 'the extension''s own tables are refused');
SELECT throws_ok($$SELECT webhooks.watch_table('webhooks.deliveries')$$, '42809', NULL, 'all of them');
CREATE TEMPORARY TABLE scratch (id int);
SELECT throws_like($$SELECT webhooks.watch_table('scratch')$$, '% is a temporary table and cannot be watched%',
    'temporary tables are refused');
SELECT throws_ok($$SELECT webhooks.watch_table(NULL)$$, '22004', 'watch_table: tbl may not be NULL', 'watch_table(NULL)');
SELECT throws_ok($$SELECT webhooks.unwatch_table(NULL)$$, '22004', 'unwatch_table: tbl may not be NULL', 'unwatch_table(NULL)');
SELECT throws_ok($$SELECT webhooks.watch_table('adm.orders', 'webhooks.subscription')$$, '22023',
    'event prefix "webhooks.subscription" is reserved: types under "webhooks." are published by pg_webhooks itself',
    'a prefix under webhooks. is refused');
CREATE TABLE public.webhooks (id int);
SELECT throws_ok($$SELECT webhooks.watch_table('public.webhooks')$$, '22023', NULL, 'also as a table''s default prefix');

-- a trigger made by hand with a reserved prefix cannot forge the extension's events
CREATE TRIGGER forged AFTER UPDATE ON adm.orders FOR EACH ROW
    EXECUTE FUNCTION webhooks.tg_watched_table__publish('webhooks.subscription');
SELECT throws_ok($$UPDATE adm.orders SET status = 'paid'$$, '42501', NULL, 'a hand-made trigger with a reserved prefix publishes nothing');

SELECT * FROM finish();
ROLLBACK;

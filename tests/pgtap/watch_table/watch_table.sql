-- webhooks.watch_table / unwatch_table (contract §5): INSERT / UPDATE /
-- DELETE publish <prefix>.created / .updated / .deleted with the row (and the
-- previous row for updates); odd table names are quoted; a role that may only
-- write the table still publishes.
BEGIN;
SELECT plan(15);

CREATE SCHEMA "Shop Floor";
CREATE TABLE "Shop Floor"."Order Lines" (id int PRIMARY KEY, qty int);
CREATE TABLE public.orders (id int PRIMARY KEY, status text);
INSERT INTO webhooks.subscriptions (name, url, event_types) VALUES ('all', 'https://a.example/h', '{>}');

SELECT lives_ok($$SELECT webhooks.watch_table('public.orders')$$, 'watch a table with the default prefix');
SELECT set_eq($$SELECT name FROM webhooks.event_types WHERE name NOT LIKE 'webhooks.%'$$, ARRAY['orders.created', 'orders.updated', 'orders.deleted'], 'its event types are registered');

INSERT INTO public.orders VALUES (1, 'new'), (2, 'new');
UPDATE public.orders SET status = 'paid' WHERE id = 1;
DELETE FROM public.orders WHERE id = 2;

SELECT is((SELECT array_agg(event_type ORDER BY event_type) FROM webhooks.events), '{orders.created,orders.created,orders.deleted,orders.updated}',
          'each row change publishes one event');
SELECT is((SELECT payload FROM webhooks.events WHERE event_type = 'orders.created' AND payload->'row'->>'id' = '1'),
          '{"table": "public.orders", "operation": "INSERT", "row": {"id": 1, "status": "new"}}'::jsonb, 'created carries the row');
SELECT is((SELECT payload FROM webhooks.events WHERE event_type = 'orders.updated'),
          '{"table": "public.orders", "operation": "UPDATE", "row": {"id": 1, "status": "paid"}, "old_row": {"id": 1, "status": "new"}}'::jsonb,
          'updated carries the row and the previous row');
SELECT is((SELECT payload FROM webhooks.events WHERE event_type = 'orders.deleted'),
          '{"table": "public.orders", "operation": "DELETE", "row": {"id": 2, "status": "new"}}'::jsonb, 'deleted carries the old row');
SELECT is(webhooks.fan_out_queued(), 4::bigint, 'and every event fans out (at the next claim)');

-- odd identifiers and an explicit prefix
SELECT lives_ok($$SELECT webhooks.watch_table('"Shop Floor"."Order Lines"', 'shop.line')$$, 'watch a table whose names need quoting');
INSERT INTO "Shop Floor"."Order Lines" VALUES (7, 3);
SELECT is((SELECT payload->>'table' FROM webhooks.events WHERE event_type = 'shop.line.created'), '"Shop Floor"."Order Lines"', 'the table is named, quoted');

-- Invalid input: a prefix that makes no valid event type
SELECT throws_ok($$SELECT webhooks.watch_table('"Shop Floor"."Order Lines"')$$, '22023',
    'event prefix "Order Lines" is not a valid event type name', 'a table name that is no valid prefix needs event_prefix');
SELECT throws_ok($$SELECT webhooks.watch_table('pg_catalog.pg_class_oid_index')$$, '42809', NULL, 'an index is not a table');

-- a role with nothing but table rights
CREATE ROLE watch_table_writer NOLOGIN;
GRANT USAGE ON SCHEMA public TO watch_table_writer;
GRANT INSERT, UPDATE, DELETE, SELECT ON public.orders TO watch_table_writer;
SET LOCAL ROLE watch_table_writer;
SELECT lives_ok($$INSERT INTO public.orders VALUES (3, 'new')$$, 'a role without rights on webhooks can write a watched table');
SELECT throws_ok($$SELECT count(*) FROM webhooks.events$$, '42501', NULL, 'while it cannot read webhooks');
RESET ROLE;
SELECT is((SELECT count(*) FROM webhooks.events WHERE payload->'row'->>'id' = '3'), 1::bigint, 'its write was published');

SELECT webhooks.unwatch_table('public.orders');
INSERT INTO public.orders VALUES (4, 'new');
SELECT is((SELECT count(*) FROM webhooks.events WHERE payload->'row'->>'id' = '4'), 0::bigint, 'unwatch_table stops publishing');

SELECT * FROM finish();
ROLLBACK;

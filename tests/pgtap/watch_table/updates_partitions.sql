-- watch_table as users use it (issue 11): UPDATEs that change nothing publish
-- nothing by default (skip_unchanged_updates => false publishes them);
-- a partitioned table's events name the table that was watched for INSERT,
-- UPDATE and DELETE alike, also for writes aimed at a partition directly and
-- rows that move between partitions; TRUNCATE publishes nothing (documented
-- in docs/watch_table.md).
BEGIN;
SELECT plan(10);

INSERT INTO webhooks.subscriptions (name, url, event_types) VALUES ('all', 'https://a.example/h', '{>}');
CREATE TABLE public.items (id int PRIMARY KEY, note text, doc json);
SELECT webhooks.watch_table('public.items');
INSERT INTO public.items VALUES (1, 'a', '{"x": 1}');
UPDATE public.items SET note = 'a';
SELECT is((SELECT count(*) FROM webhooks.events WHERE event_type = 'items.updated'), 0::bigint,
          'an UPDATE that changes nothing publishes nothing (a json column, which has no = operator, is compared too)');
UPDATE public.items SET note = 'b';
SELECT is((SELECT count(*) FROM webhooks.events WHERE event_type = 'items.updated'), 1::bigint, 'a real change publishes');

SELECT webhooks.watch_table('public.items', skip_unchanged_updates => false);
UPDATE public.items SET note = 'b';
SELECT is((SELECT count(*) FROM webhooks.events WHERE event_type = 'items.updated'), 2::bigint,
          'skip_unchanged_updates => false publishes unchanged UPDATEs');

TRUNCATE public.items;
SELECT is((SELECT count(*) FROM webhooks.events WHERE event_type = 'items.deleted'), 0::bigint, 'TRUNCATE publishes nothing');

-- partitioned
CREATE TABLE public.sales (id int, region text, amount int) PARTITION BY LIST (region);
CREATE TABLE public.sales_eu PARTITION OF public.sales FOR VALUES IN ('eu');
CREATE TABLE public.sales_us PARTITION OF public.sales FOR VALUES IN ('us');
SELECT webhooks.watch_table('public.sales');
CREATE TABLE public.sales_asia PARTITION OF public.sales FOR VALUES IN ('asia');  -- attached after watching
INSERT INTO public.sales VALUES (1, 'eu', 10);
UPDATE public.sales SET amount = 11 WHERE id = 1;
DELETE FROM public.sales WHERE id = 1;
SELECT is((SELECT array_agg(DISTINCT payload->>'table') FROM webhooks.events WHERE event_type LIKE 'sales.%'), '{public.sales}',
          'INSERT, UPDATE and DELETE all name the watched parent');
SELECT is((SELECT array_agg(event_type ORDER BY created_at, event_type) FROM webhooks.events WHERE event_type LIKE 'sales.%'),
          '{sales.created,sales.deleted,sales.updated}', 'one event each');
INSERT INTO public.sales_us VALUES (2, 'us', 20);
SELECT is((SELECT payload->>'table' FROM webhooks.events WHERE event_type = 'sales.created' AND payload->'row'->>'id' = '2'),
          'public.sales', 'a write aimed at a partition publishes, naming the parent');
INSERT INTO public.sales VALUES (3, 'asia', 30);
SELECT is((SELECT count(*) FROM webhooks.events WHERE payload->'row'->>'id' = '3'), 1::bigint, 'a partition made after watching publishes');
UPDATE public.sales SET region = 'eu' WHERE id = 2;  -- moves the row to another partition
SELECT ok((SELECT count(*) FROM webhooks.events WHERE payload->'row'->>'id' = '2' AND payload->'row'->>'region' = 'eu') >= 1,
          'a row moving between partitions publishes its new state');
SELECT is((SELECT count(*) FROM webhooks.events WHERE event_type LIKE 'sales.%' AND payload->>'table' <> 'public.sales'), 0::bigint,
          'and every sales event names public.sales');

SELECT * FROM finish();
ROLLBACK;

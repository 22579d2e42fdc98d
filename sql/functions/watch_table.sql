-- Makes INSERT / UPDATE / DELETE on an application table publish
-- <prefix>.created / .updated / .deleted (prefix defaults to the table's
-- name), registering those event types. Calling it again replaces the
-- triggers (e.g. to change the prefix). UPDATEs that change nothing (every
-- column's stored value equal) publish nothing unless skip_unchanged_updates
-- is false. TRUNCATE publishes nothing (docs/watch_table.md).
--
-- Runs as its caller (SECURITY INVOKER): a webhooks_admin may watch exactly
-- the tables it may alter (their owner, or a member of the owning role),
-- because creating the triggers is its own act; it holds EXECUTE on the
-- trigger function for that. No privilege of the extension's owner is lent.
-- Refused: NULL, anything but a table, the extension's own tables (a watched
-- webhooks.events would publish forever), temporary tables (their event
-- types would outlive them), and prefixes under "webhooks." (the extension's
-- own types).
CREATE OR REPLACE FUNCTION webhooks.watch_table(tbl regclass, event_prefix text DEFAULT NULL,
                                                skip_unchanged_updates boolean DEFAULT true)
RETURNS void
LANGUAGE plpgsql
SET search_path TO pg_catalog, pg_temp
SET client_min_messages TO warning  -- replacing missing triggers is no news
AS $$
DECLARE
    prefix text;
    rel record;
    partitioned text;
BEGIN
    IF tbl IS NULL THEN
        RAISE EXCEPTION 'watch_table: tbl may not be NULL' USING ERRCODE = 'null_value_not_allowed',
            HINT = 'pass a table, e.g. webhooks.watch_table(''public.orders'')';
    END IF;
    IF skip_unchanged_updates IS NULL THEN
        RAISE EXCEPTION 'watch_table: skip_unchanged_updates may not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO rel FROM webhooks.watchable_table(tbl);
    prefix := coalesce(event_prefix, rel.relname);
    IF NOT webhooks.is_valid_event_type_name(prefix || '.created') THEN
        RAISE EXCEPTION 'event prefix "%" is not a valid event type name', prefix
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'pass event_prefix: lower-case dot-separated segments of [a-z0-9_-], e.g. ''shop.order''';
    END IF;
    IF prefix ~ '^webhooks(\.|$)' THEN
        RAISE EXCEPTION 'event prefix "%" is reserved: types under "webhooks." are published by pg_webhooks itself', prefix
            USING ERRCODE = 'invalid_parameter_value', HINT = 'pass another event_prefix';
    END IF;

    INSERT INTO webhooks.event_types (name, description)
    SELECT prefix || '.' || verb, format('row %s in %s', verb, tbl)
      FROM unnest(ARRAY['created', 'updated', 'deleted']) verb
    ON CONFLICT (name) DO NOTHING;

    PERFORM webhooks.unwatch_table(tbl);
    IF rel.relkind = 'p' THEN
        -- row-level, cloned to every partition (sql/functions/watched_table_publish.sql)
        partitioned := ', ''partitioned''';
        EXECUTE format('CREATE TRIGGER _900_webhooks_insert AFTER INSERT ON %s '
                       'FOR EACH ROW EXECUTE FUNCTION webhooks.tg_watched_table__publish(%L%s)', tbl, prefix, partitioned);
        EXECUTE format('CREATE TRIGGER _900_webhooks_delete AFTER DELETE ON %s '
                       'FOR EACH ROW EXECUTE FUNCTION webhooks.tg_watched_table__publish(%L%s)', tbl, prefix, partitioned);
    ELSE
        partitioned := '';
        EXECUTE format('CREATE TRIGGER _900_webhooks_insert AFTER INSERT ON %s REFERENCING NEW TABLE AS changed_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION webhooks.tg_watched_table__publish(%L)', tbl, prefix);
        EXECUTE format('CREATE TRIGGER _900_webhooks_delete AFTER DELETE ON %s REFERENCING OLD TABLE AS changed_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION webhooks.tg_watched_table__publish(%L)', tbl, prefix);
    END IF;
    -- OLD *<> NEW compares the stored bytes of the two rows: no type's
    -- equality operator runs, and it works for columns without one (json)
    EXECUTE format('CREATE TRIGGER _900_webhooks_update AFTER UPDATE ON %s FOR EACH ROW %s'
                   'EXECUTE FUNCTION webhooks.tg_watched_table__publish(%L%s)',
                   tbl, CASE WHEN skip_unchanged_updates THEN 'WHEN (OLD *<> NEW) ' ELSE '' END, prefix, partitioned);
END
$$;

COMMENT ON FUNCTION webhooks.watch_table(regclass, text, boolean) IS
    'publish <prefix>.created/.updated/.deleted for every row written to tbl (prefix defaults to the table name; unchanged UPDATEs skipped unless skip_unchanged_updates => false)';

/* creating triggers on application tables is an operator's decision */
REVOKE ALL ON FUNCTION webhooks.watch_table(regclass, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.watch_table(regclass, text, boolean) TO webhooks_admin;

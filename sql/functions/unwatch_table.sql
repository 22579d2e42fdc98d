-- Removes the triggers webhooks.watch_table installed; the event types stay
-- registered (published events reference them). Runs as its caller, with
-- the same checks as watch_table.
CREATE OR REPLACE FUNCTION webhooks.unwatch_table(tbl regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path TO pg_catalog, pg_temp
AS $$
BEGIN
    IF tbl IS NULL THEN
        RAISE EXCEPTION 'unwatch_table: tbl may not be NULL' USING ERRCODE = 'null_value_not_allowed',
            HINT = 'pass a table, e.g. webhooks.unwatch_table(''public.orders'')';
    END IF;
    PERFORM webhooks.watchable_table(tbl);
    EXECUTE format('DROP TRIGGER IF EXISTS _900_webhooks_insert ON %s', tbl);
    EXECUTE format('DROP TRIGGER IF EXISTS _900_webhooks_update ON %s', tbl);
    EXECUTE format('DROP TRIGGER IF EXISTS _900_webhooks_delete ON %s', tbl);
END
$$;

COMMENT ON FUNCTION webhooks.unwatch_table(regclass) IS
    'stop publishing the row changes of tbl (removes the triggers of webhooks.watch_table)';

/* see watch_table */
REVOKE ALL ON FUNCTION webhooks.unwatch_table(regclass) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.unwatch_table(regclass) TO webhooks_admin;

-- Removes the triggers webhooks.watch_table installed; the event types stay
-- registered (published events reference them).
CREATE OR REPLACE FUNCTION webhooks.unwatch_table(tbl regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path TO pg_catalog, pg_temp
AS $$
BEGIN
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

-- The checks watch_table and unwatch_table share: tbl is an ordinary or
-- partitioned table, not the extension's own, not temporary, and the caller
-- (current_user: both functions run as their caller) may alter it. Returns
-- the table's pg_class facts.
CREATE OR REPLACE FUNCTION webhooks.watchable_table(tbl regclass)
RETURNS TABLE (relname name, relkind "char")
LANGUAGE plpgsql
STABLE
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    c record;
BEGIN
    SELECT k.relname, k.relkind, k.relpersistence, k.relowner, k.relnamespace
      INTO c FROM pg_class k WHERE k.oid = tbl;
    IF c.relkind IS NULL OR c.relkind NOT IN ('r', 'p') THEN
        RAISE EXCEPTION '% is not a table', tbl USING ERRCODE = 'wrong_object_type';
    END IF;
    IF c.relnamespace = 'webhooks'::regnamespace THEN
        RAISE EXCEPTION '% belongs to pg_webhooks and cannot be watched', tbl USING ERRCODE = 'wrong_object_type',
            HINT = 'its changes are already what webhooks publishes; subscribe to events instead';
    END IF;
    IF c.relpersistence = 't' THEN
        RAISE EXCEPTION '% is a temporary table and cannot be watched (its event types would outlive it)', tbl
            USING ERRCODE = 'wrong_object_type';
    END IF;
    IF NOT pg_has_role(current_user, c.relowner, 'USAGE') THEN
        RAISE EXCEPTION 'permission denied: % may not alter table % (owned by %)', current_user, tbl, c.relowner::regrole
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'watch it as its owner, or as a member of the owning role';
    END IF;
    relname := c.relname;
    relkind := c.relkind;
    RETURN NEXT;
END
$$;

COMMENT ON FUNCTION webhooks.watchable_table(regclass) IS
    'internal: the checks of watch_table/unwatch_table (a table, not the extension''s, not temporary, alterable by the caller)';

/* a check only; it reveals nothing a caller of watch_table cannot see */
REVOKE ALL ON FUNCTION webhooks.watchable_table(regclass) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.watchable_table(regclass) TO webhooks_admin;

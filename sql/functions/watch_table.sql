-- Makes INSERT / UPDATE / DELETE on an application table publish
-- <prefix>.created / .updated / .deleted (prefix defaults to the table's
-- name), registering those event types. Calling it again replaces the
-- triggers (e.g. to change the prefix).
CREATE OR REPLACE FUNCTION webhooks.watch_table(tbl regclass, event_prefix text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SET search_path TO pg_catalog, pg_temp
SET client_min_messages TO warning  -- replacing missing triggers is no news
AS $$
DECLARE
    prefix text;
    rel_kind "char";
BEGIN
    SELECT c.relkind, coalesce(event_prefix, c.relname) INTO rel_kind, prefix
      FROM pg_catalog.pg_class c WHERE c.oid = tbl;
    IF rel_kind NOT IN ('r', 'p') THEN
        RAISE EXCEPTION '% is not a table', tbl USING ERRCODE = 'wrong_object_type';
    END IF;
    IF NOT webhooks.is_valid_event_type_name(prefix || '.created') THEN
        RAISE EXCEPTION 'event prefix "%" is not a valid event type name', prefix
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'pass event_prefix: lower-case dot-separated segments of [a-z0-9_-], e.g. ''shop.order''';
    END IF;

    INSERT INTO webhooks.event_types (name, description)
    SELECT prefix || '.' || verb, format('row %s in %s', verb, tbl)
      FROM unnest(ARRAY['created', 'updated', 'deleted']) verb
    ON CONFLICT (name) DO NOTHING;

    PERFORM webhooks.unwatch_table(tbl);
    EXECUTE format('CREATE TRIGGER _900_webhooks_insert AFTER INSERT ON %s REFERENCING NEW TABLE AS changed_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION webhooks.tg_watched_table__publish(%L)', tbl, prefix);
    EXECUTE format('CREATE TRIGGER _900_webhooks_update AFTER UPDATE ON %s '
                   'FOR EACH ROW EXECUTE FUNCTION webhooks.tg_watched_table__publish(%L)', tbl, prefix);
    EXECUTE format('CREATE TRIGGER _900_webhooks_delete AFTER DELETE ON %s REFERENCING OLD TABLE AS changed_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION webhooks.tg_watched_table__publish(%L)', tbl, prefix);
END
$$;

COMMENT ON FUNCTION webhooks.watch_table(regclass, text) IS
    'publish <prefix>.created/.updated/.deleted for every row written to tbl (prefix defaults to the table name)';

/* creating triggers on application tables is an operator's decision */
REVOKE ALL ON FUNCTION webhooks.watch_table(regclass, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.watch_table(regclass, text) TO webhooks_admin;

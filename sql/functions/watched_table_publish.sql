-- Trigger function installed by webhooks.watch_table on application tables.
-- Payload: {"table": "schema.table", "operation": "INSERT|UPDATE|DELETE",
--           "row": <the row>, "old_row": <previous row, updates only>};
-- "table" is the table that was watched, also for a partition's rows.
--
-- Privileges (issue 8, contract §9). The trigger is SECURITY DEFINER so that
-- any role that may write the table publishes, holding nothing of the
-- webhooks schema. It never runs code that the table's owner or writer
-- controls: rendering a row (to_jsonb) calls a user-defined cast to json of
-- a column's type, so that one step happens in webhooks.render_row, which
-- runs as webhooks_renderer, a NOLOGIN role holding no privilege at all (no
-- USAGE on this schema, nothing granted): a hostile cast can do there only
-- what PUBLIC may. What remains here, as the extension's owner: reading the
-- trigger's own rows (no user code), building jsonb from text and jsonb
-- values, and inserting into webhooks.events (the extension's own triggers).
-- The skip of unchanged UPDATEs is the trigger's WHEN clause (OLD *<> NEW, a
-- binary comparison that runs no operator of any type), evaluated as the
-- writer anyway.
-- Only roles with EXECUTE on this function (admins) can attach it to a
-- table; a prefix under "webhooks." is refused here as well, so no trigger
-- made by hand can forge the extension's own events.
--
-- INSERT and DELETE on a plain table are statement-level (one set-based
-- insert into events per statement); UPDATE is row-level so each new row is
-- paired with its old one. On a partitioned table all three are row-level:
-- PostgreSQL clones row triggers to every partition (also ones attached
-- later) and fires them for writes aimed at a partition directly, which a
-- statement trigger on the parent never sees (TG_ARGV[1] = 'partitioned').

DO $renderer$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'webhooks_renderer') THEN
        CREATE ROLE webhooks_renderer NOLOGIN;
    END IF;
END
$renderer$;
COMMENT ON ROLE webhooks_renderer IS
    'pg_webhooks: owns webhooks.render_row only; holds no privilege, so casts to json of watched tables'' columns run with none';

-- Renders one row as jsonb, as webhooks_renderer (see above). Not inlined
-- (SECURITY DEFINER), so the user switch cannot be optimised away.
CREATE OR REPLACE FUNCTION webhooks.render_row(r anyelement)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
BEGIN
    RETURN pg_catalog.to_jsonb(r);
END
$$;
/* the whole point: user casts run with the rights of a role that has none */
ALTER FUNCTION webhooks.render_row(anyelement) OWNER TO webhooks_renderer;
COMMENT ON FUNCTION webhooks.render_row(anyelement) IS
    'internal: to_jsonb of a watched table''s row, run as webhooks_renderer (no privileges) so that user-defined casts cannot act with the extension''s rights';
/* only the watched-table trigger (running as the extension's owner) calls it */
REVOKE ALL ON FUNCTION webhooks.render_row(anyelement) FROM PUBLIC;

CREATE OR REPLACE FUNCTION webhooks.tg_watched_table__publish()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    prefix text := TG_ARGV[0];
    table_name text;
    watched oid;
    new_type text;
    rows_changed bigint;
    events_stored bigint;
    routed bigint[];
    wake boolean;
BEGIN
    IF prefix IS NULL OR prefix ~ '^webhooks(\.|$)' THEN
        RAISE EXCEPTION 'event prefix "%" is reserved or missing: types under "webhooks." are published by pg_webhooks itself', prefix
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_NARGS > 1 AND TG_ARGV[1] = 'partitioned' THEN
        -- the watched table: the root of this clone's chain of parent triggers
        WITH RECURSIVE chain AS (
            SELECT t.tgrelid, t.tgparentid FROM pg_trigger t WHERE t.tgrelid = TG_RELID AND t.tgname = TG_NAME
            UNION ALL
            SELECT p.tgrelid, p.tgparentid FROM pg_trigger p JOIN chain c ON p.oid = c.tgparentid
        )
        SELECT c.tgrelid INTO watched FROM chain c WHERE c.tgparentid = 0;
        table_name := format('%I.%I', (SELECT n.nspname FROM pg_class k JOIN pg_namespace n ON n.oid = k.relnamespace WHERE k.oid = watched),
                                      (SELECT k.relname FROM pg_class k WHERE k.oid = watched));
    ELSE
        table_name := format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME);
    END IF;

    IF TG_LEVEL = 'ROW' THEN
        PERFORM webhooks.store_event(
            prefix || CASE TG_OP WHEN 'INSERT' THEN '.created' WHEN 'DELETE' THEN '.deleted' ELSE '.updated' END,
            CASE TG_OP WHEN 'INSERT' THEN jsonb_build_object('table', table_name, 'operation', TG_OP, 'row', webhooks.render_row(NEW))
                       WHEN 'DELETE' THEN jsonb_build_object('table', table_name, 'operation', TG_OP, 'row', webhooks.render_row(OLD))
                       ELSE jsonb_build_object('table', table_name, 'operation', TG_OP,
                                               'row', webhooks.render_row(NEW), 'old_row', webhooks.render_row(OLD)) END,
            NULL);
        RETURN NULL;
    END IF;

    -- A statement's rows in one set-based statement, as webhooks.store_event
    -- does for one event: the events (if the type is registered and each
    -- payload within the limit), their fan-out queued, and a NOTIFY if a
    -- worker waits.
    new_type := prefix || CASE TG_OP WHEN 'INSERT' THEN '.created' ELSE '.deleted' END;
    routed := ARRAY(SELECT r.subscription_id FROM webhooks.routes r WHERE r.event_type = new_type);
    WITH changed AS MATERIALIZED (
        SELECT jsonb_build_object('table', table_name, 'operation', TG_OP, 'row', webhooks.render_row(r)) AS payload
          FROM changed_rows r
    ), event AS (
        INSERT INTO webhooks.events AS e (event_type, payload, admitted)
        SELECT t.name, c.payload, true
          FROM changed c, webhooks.event_types t
         WHERE t.name = new_type
           AND (octet_length(c.payload::text) <= 1024 OR webhooks.payload_within_limit(octet_length(c.payload::text)))
        RETURNING e.id, e.created_at
    ), queued AS (
        INSERT INTO webhooks.fan_out_queue (event_id, published_at, subscription_ids)
        SELECT event.id, event.created_at, routed FROM event WHERE cardinality(routed) > 0
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM changed), (SELECT count(*) FROM event),
           EXISTS (SELECT FROM queued) AND EXISTS (SELECT FROM webhooks.waiting_workers)
      INTO rows_changed, events_stored, wake;
    IF events_stored < rows_changed THEN
        RAISE EXCEPTION 'unknown event type "%"', new_type
            USING ERRCODE = 'foreign_key_violation',
                  HINT = format('register it first: INSERT INTO webhooks.event_types (name) VALUES (%L);', new_type);
    END IF;
    IF wake THEN
        PERFORM pg_notify('webhooks', '');
    END IF;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION webhooks.tg_watched_table__publish() IS
    'trigger behind webhooks.watch_table: publishes <prefix>.created/.updated/.deleted with the row';

/* admins attach it through watch_table (run as themselves, on tables they may alter) */
REVOKE ALL ON FUNCTION webhooks.tg_watched_table__publish() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.tg_watched_table__publish() TO webhooks_admin;

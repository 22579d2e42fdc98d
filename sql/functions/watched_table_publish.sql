-- Trigger function installed by webhooks.watch_table on application tables.
-- SECURITY DEFINER: whoever may write the table publishes through it, even a
-- role that holds nothing of the webhooks schema.
-- Payload: {"table": "schema.table", "operation": "INSERT|UPDATE|DELETE",
--           "row": <the row>, "old_row": <previous row, updates only>}.
-- INSERT and DELETE are statement-level (one set-based insert into events per
-- statement); UPDATE is row-level so each new row is paired with its old one.
CREATE OR REPLACE FUNCTION webhooks.tg_watched_table__publish()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    prefix text := TG_ARGV[0];
    table_name text := format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME);
BEGIN
    IF TG_OP IN ('INSERT', 'DELETE') THEN
        INSERT INTO webhooks.events (event_type, payload)
        SELECT prefix || CASE TG_OP WHEN 'INSERT' THEN '.created' ELSE '.deleted' END,
               jsonb_build_object('table', table_name, 'operation', TG_OP, 'row', to_jsonb(r))
          FROM changed_rows r;
    ELSE
        INSERT INTO webhooks.events (event_type, payload)
        VALUES (prefix || '.updated',
                jsonb_build_object('table', table_name, 'operation', TG_OP,
                                   'row', to_jsonb(NEW), 'old_row', to_jsonb(OLD)));
    END IF;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION webhooks.tg_watched_table__publish() IS
    'trigger behind webhooks.watch_table: publishes <prefix>.created/.updated/.deleted with the row';

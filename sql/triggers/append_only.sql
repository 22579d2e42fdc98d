-- events and deliveries are history: no UPDATE, DELETE or TRUNCATE, not even
-- by their owner. webhooks.purge sets webhooks.purging for its own
-- transaction to remove old history; nothing else does.
CREATE OR REPLACE FUNCTION webhooks.tg_refuse_rewrite()
RETURNS trigger
LANGUAGE plpgsql
SET search_path TO pg_catalog, pg_temp
AS $$
BEGIN
    IF current_setting('webhooks.purging', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'webhooks.% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'use webhooks.purge(older_than) to remove old history';
END
$$;

CREATE OR REPLACE TRIGGER _100_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON webhooks.deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION webhooks.tg_refuse_rewrite();

CREATE OR REPLACE TRIGGER _100_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON webhooks.events
    FOR EACH STATEMENT EXECUTE FUNCTION webhooks.tg_refuse_rewrite();

-- Admits an event: its type must be registered (the error names it), its
-- payload within webhooks.max_payload_bytes (the error gives both sizes), and
-- a repeated idempotency key for the same type publishes nothing (the row is
-- skipped; webhooks.publish then returns the first event's id).
CREATE OR REPLACE FUNCTION webhooks.tg_events__accept()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    max_bytes bigint := coalesce(nullif(current_setting('webhooks.max_payload_bytes', true), ''), '1048576')::bigint;
    payload_bytes bigint;
BEGIN
    IF NEW.event_type IS NULL THEN
        RAISE EXCEPTION 'event_type may not be NULL' USING ERRCODE = 'not_null_violation';
    END IF;
    IF NOT EXISTS (SELECT FROM webhooks.event_types WHERE name = NEW.event_type) THEN
        RAISE EXCEPTION 'unknown event type "%"', NEW.event_type
            USING ERRCODE = 'foreign_key_violation',
                  HINT = format('register it first: INSERT INTO webhooks.event_types (name) VALUES (%L);', NEW.event_type);
    END IF;
    IF NEW.payload IS NULL THEN
        RAISE EXCEPTION 'payload may not be NULL (use ''{}'' for an empty payload)' USING ERRCODE = 'not_null_violation';
    END IF;
    payload_bytes := octet_length(NEW.payload::text);
    IF payload_bytes > max_bytes THEN
        RAISE EXCEPTION 'payload of % bytes exceeds the limit of % bytes (webhooks.max_payload_bytes)', payload_bytes, max_bytes
            USING ERRCODE = 'program_limit_exceeded';
    END IF;

    IF NEW.idempotency_key IS NOT NULL THEN
        -- Serialise publishers of the same key; READ COMMITTED gives the
        -- check below a fresh snapshot that sees a winner that committed
        -- while we waited. Under REPEATABLE READ the unique constraint
        -- still refuses the duplicate.
        PERFORM pg_advisory_xact_lock(hashtextextended(NEW.event_type || '/' || NEW.idempotency_key, 7270));
        IF EXISTS (SELECT FROM webhooks.events
                    WHERE event_type = NEW.event_type AND idempotency_key = NEW.idempotency_key) THEN
            RETURN NULL;
        END IF;
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER _100_accept
    BEFORE INSERT ON webhooks.events
    FOR EACH ROW EXECUTE FUNCTION webhooks.tg_events__accept();

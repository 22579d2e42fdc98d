-- Admits an event: its type must be registered (the error names it), its
-- payload within webhooks.max_payload_bytes (the error gives both sizes), an
-- idempotency key non-empty and at most 255 bytes, and a repeated key for
-- the same type publishes nothing (the row is skipped; webhooks.publish then
-- returns the first event's id).
-- The limit comes from webhooks.settings, which only an admin writes; a
-- session SET webhooks.max_payload_bytes changes nothing (contract §9). It is
-- read only for payloads over 1024 bytes, the smallest limit allowed, so the
-- common small event pays no lookup.
-- Audit (SECURITY DEFINER): every value handled is text or jsonb, built-in
-- types, so no cast, operator or default of a user's type can run here; the
-- row's values were computed by the caller, as the caller.
CREATE OR REPLACE FUNCTION webhooks.tg_events__accept()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    max_bytes bigint;
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
    IF payload_bytes > 1024 THEN
        max_bytes := coalesce((SELECT s.value FROM webhooks.settings s WHERE s.name = 'webhooks.max_payload_bytes'), 1048576);
        IF payload_bytes > max_bytes THEN
            RAISE EXCEPTION 'payload of % bytes exceeds the limit of % bytes (webhooks.max_payload_bytes)', payload_bytes, max_bytes
                USING ERRCODE = 'program_limit_exceeded',
                      HINT = 'an admin sets the limit in webhooks.settings (at most 16777216 bytes)';
        END IF;
    END IF;

    IF NEW.idempotency_key IS NOT NULL THEN
        IF NEW.idempotency_key = '' THEN
            RAISE EXCEPTION 'idempotency_key may not be empty (pass NULL for none)' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF octet_length(NEW.idempotency_key) > 255 THEN
            RAISE EXCEPTION 'idempotency_key of % bytes is too long: at most 255 bytes', octet_length(NEW.idempotency_key)
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
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

-- Event types under "webhooks." belong to the extension (contract §9): only
-- the extension's own code (running as the owner of webhooks.events) may
-- insert them; a publisher's or admin's direct INSERT is refused.
-- SECURITY INVOKER on purpose: current_user is then whoever executes the
-- INSERT (the extension's SECURITY DEFINER functions run as its owner). The
-- WHEN clause keeps it off every other event's path.
CREATE OR REPLACE FUNCTION webhooks.tg_events__reserved()
RETURNS trigger
LANGUAGE plpgsql
SET search_path TO pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT pg_has_role(current_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = TG_RELID), 'USAGE') THEN
        RAISE EXCEPTION 'event type "%" is reserved: types under "webhooks." are published by pg_webhooks itself', NEW.event_type
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER _050_reserved
    BEFORE INSERT ON webhooks.events
    FOR EACH ROW WHEN (NEW.event_type LIKE 'webhooks.%')
    EXECUTE FUNCTION webhooks.tg_events__reserved();

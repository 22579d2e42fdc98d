-- A direct INSERT INTO webhooks.events (contract §5), one row at a time:
-- its type must not be under "webhooks." (contract §9: the extension's own
-- code publishes those, through webhooks.store_event, which marks its rows
-- admitted), its type must be registered (the error names it), its payload within
-- webhooks.max_payload_bytes (webhooks.payload_within_limit), an idempotency
-- key valid, and a repeated key for the same type publishes nothing (the row
-- is skipped; webhooks.idempotent_event). Then, as webhooks.store_event does
-- for publish and watched tables, one webhooks.fan_out_queue row naming the
-- subscriptions routed to its type now (never the one an operational event
-- is about), and a NOTIFY if a worker waits (sql/schema/waiting_workers.sql).
-- Only events published now are queued: a row that arrives with another
-- created_at is history being restored (pg_restore of a backup brings its
-- own messages), and sending it again would repeat old deliveries.
-- Rows of the extension's own publishing code arrive admitted = true and
-- the WHEN clause lets them through untouched: publishers and admins hold no
-- INSERT right on that column, so only the extension's own code can.
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
    payload_bytes bigint;
    routed bigint[];
BEGIN
    IF NEW.event_type IS NULL THEN
        RAISE EXCEPTION 'event_type may not be NULL' USING ERRCODE = 'not_null_violation';
    END IF;
    IF NEW.event_type LIKE 'webhooks.%' AND NEW.created_at = now() THEN
        RAISE EXCEPTION 'event type "%" is reserved: types under "webhooks." are published by pg_webhooks itself', NEW.event_type
            USING ERRCODE = 'insufficient_privilege';
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
        PERFORM webhooks.payload_within_limit(payload_bytes);
    END IF;
    IF NEW.idempotency_key IS NOT NULL
       AND webhooks.idempotent_event(NEW.event_type, NEW.idempotency_key) IS NOT NULL THEN
        RETURN NULL;  -- published before: skip the row
    END IF;

    IF NEW.created_at = now() THEN
        routed := ARRAY(SELECT r.subscription_id FROM webhooks.routes r
                         WHERE r.event_type = NEW.event_type
                           AND r.subscription_id IS DISTINCT FROM NEW.about_subscription_id);
        IF cardinality(routed) > 0 THEN
            INSERT INTO webhooks.fan_out_queue (event_id, published_at, subscription_ids)
            VALUES (NEW.id, NEW.created_at, routed);
            IF EXISTS (SELECT FROM webhooks.waiting_workers) THEN
                PERFORM pg_notify('webhooks', '');
            END IF;
        END IF;
        NEW.admitted := true;
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER _100_accept
    BEFORE INSERT ON webhooks.events
    FOR EACH ROW WHEN (NEW.admitted IS NULL)
    EXECUTE FUNCTION webhooks.tg_events__accept();

-- Idempotency keys (contract §5): an event published again with a key seen
-- before for the same type publishes nothing new; its publisher gets the
-- first event's id. Returns that id, or NULL when the key is new, in which
-- case the caller inserts the event in the same transaction.
-- Publishers of one key are serialised by a transaction-scoped advisory lock,
-- so under READ COMMITTED the lookup (a fresh snapshot per statement) sees a
-- winner that committed while we waited; under REPEATABLE READ the unique
-- constraint events_idempotency_key still refuses the duplicate.
-- Internal, like webhooks.store_event: called as the owner by functions
-- that pin search_path, so no SET clause; every name is qualified.
-- Only events with a key come here: the common keyless publish pays nothing.
CREATE OR REPLACE FUNCTION webhooks.idempotent_event(event_type text, idempotency_key text)
RETURNS uuid
LANGUAGE plpgsql
AS $$
BEGIN
    IF idempotent_event.idempotency_key = '' THEN
        RAISE EXCEPTION 'idempotency_key may not be empty (pass NULL for none)' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF pg_catalog.octet_length(idempotent_event.idempotency_key) > 255 THEN
        RAISE EXCEPTION 'idempotency_key of % bytes is too long: at most 255 bytes', pg_catalog.octet_length(idempotent_event.idempotency_key)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(idempotent_event.event_type || '/' || idempotent_event.idempotency_key, 7270));
    RETURN (SELECT e.id FROM webhooks.events e
             WHERE e.event_type = idempotent_event.event_type AND e.idempotency_key = idempotent_event.idempotency_key);
END
$$;

COMMENT ON FUNCTION webhooks.idempotent_event(text, text) IS
    'internal: checks an idempotency key and returns the id of the event first published with it, or NULL';

/* internal to the publishing paths, which run as the extension's owner */
REVOKE ALL ON FUNCTION webhooks.idempotent_event(text, text) FROM PUBLIC;

-- Stores one event in the caller's transaction and queues its fan-out: the
-- write path behind webhooks.publish, watched tables' row triggers and the
-- extension's own operational events (about_subscription_id: the
-- subscription an operational event is about, which never receives it).
-- One statement inserts the event (only if its type is registered: the join
-- with event_types is the check) and, if any subscription is routed to its
-- type, one webhooks.fan_out_queue row naming them (contract §5: those that
-- match now receive it); a worker's next claim turns that row into messages
-- (webhooks.fan_out_queued). The event carries admitted = true, so the row
-- triggers on webhooks.events (there for direct INSERTs) stay out of its way.
-- The same statement checks whether a worker waits for a NOTIFY
-- (sql/schema/waiting_workers.sql).
-- Why one statement, and no trigger, SET clause or helper call on the common
-- path: each costs an executor start-up or a GUC round trip in the
-- application's transaction. Measured (docs/benchmarks.md, "Write path"):
-- flock /tmp/pgwh.lock bench/write-path/run 3 8 (8 clients, single-row
-- INSERT transactions, plain ~16,000 tps): watched 0.39, publish 0.45 of
-- plain, against 0.355-0.365 and 0.37-0.38 with the BEFORE trigger, AFTER
-- statement trigger and three statements this replaced; bench/write-path/cost
-- (one client, CPU per transaction): plain 110 us, publish 292-294 us.
-- Internal: called as the extension's owner by SECURITY DEFINER functions
-- that pin search_path (hence no SET clause here); every name is qualified.
-- Handles built-in types only (text, jsonb): the payload was rendered before.
CREATE OR REPLACE FUNCTION webhooks.store_event(event_type text, payload jsonb, idempotency_key text,
                                                about_subscription_id bigint DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql
AS $$
DECLARE
    payload_bytes bigint;
    new_id uuid;
    wake boolean;
BEGIN
    IF store_event.event_type IS NULL THEN
        RAISE EXCEPTION 'event_type may not be NULL' USING ERRCODE = 'not_null_violation';
    END IF;
    IF store_event.payload IS NULL THEN
        RAISE EXCEPTION 'payload may not be NULL (use ''{}'' for an empty payload)' USING ERRCODE = 'not_null_violation';
    END IF;
    payload_bytes := pg_catalog.octet_length(store_event.payload::text);
    IF payload_bytes > 1024 THEN
        PERFORM webhooks.payload_within_limit(payload_bytes);
    END IF;
    IF store_event.idempotency_key IS NOT NULL THEN
        new_id := webhooks.idempotent_event(store_event.event_type, store_event.idempotency_key);
        IF new_id IS NOT NULL THEN
            RETURN new_id;  -- published before: nothing new
        END IF;
    END IF;

    WITH event AS (
        INSERT INTO webhooks.events AS e (event_type, payload, idempotency_key, about_subscription_id, admitted)
        SELECT t.name, store_event.payload, store_event.idempotency_key, store_event.about_subscription_id, true
          FROM webhooks.event_types t
         WHERE t.name = store_event.event_type
        RETURNING e.id, e.event_type, e.created_at
    ), queued AS (
        INSERT INTO webhooks.fan_out_queue (event_id, published_at, subscription_ids)
        SELECT event.id, event.created_at, routed.ids
          FROM event
          CROSS JOIN LATERAL (SELECT pg_catalog.array_agg(r.subscription_id) AS ids
                                FROM webhooks.routes r
                               WHERE r.event_type = event.event_type
                                 AND r.subscription_id IS DISTINCT FROM store_event.about_subscription_id) routed
         WHERE routed.ids IS NOT NULL
        RETURNING 1
    )
    SELECT event.id, EXISTS (SELECT FROM queued) AND EXISTS (SELECT FROM webhooks.waiting_workers)
      INTO new_id, wake
      FROM event;

    IF new_id IS NULL THEN
        RAISE EXCEPTION 'unknown event type "%"', store_event.event_type
            USING ERRCODE = 'foreign_key_violation',
                  HINT = pg_catalog.format('register it first: INSERT INTO webhooks.event_types (name) VALUES (%L);', store_event.event_type);
    END IF;
    IF wake THEN
        PERFORM pg_catalog.pg_notify('webhooks', '');
    END IF;
    RETURN new_id;
END
$$;

COMMENT ON FUNCTION webhooks.store_event(text, jsonb, text, bigint) IS
    'internal: stores an event and queues its fan-out in one statement (webhooks.publish, watched tables); returns its id';

/* internal to the publishing paths, which run as the extension's owner */
REVOKE ALL ON FUNCTION webhooks.store_event(text, jsonb, text, bigint) FROM PUBLIC;

-- Publishes an event inside the caller's transaction: nothing is sent unless
-- it commits. A repeated idempotency key for the same event type returns the
-- first event's id and publishes nothing new (webhooks.store_event does the
-- work; see there for the one-statement write path and its figures).
-- Types under "webhooks." are the extension's own (contract §9): publish runs
-- as the extension's owner, so it refuses them itself (the reserved-type
-- trigger on webhooks.events would let the owner through).
-- Audit (SECURITY DEFINER): the arguments are text and jsonb, converted by
-- the caller before the call; nothing of a user's type is handled here.
CREATE OR REPLACE FUNCTION webhooks.publish(event_type text, payload jsonb, idempotency_key text DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
BEGIN
    IF publish.event_type LIKE 'webhooks.%' THEN
        RAISE EXCEPTION 'event type "%" is reserved: types under "webhooks." are published by pg_webhooks itself', publish.event_type
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN webhooks.store_event(publish.event_type, publish.payload, publish.idempotency_key);
END
$$;

COMMENT ON FUNCTION webhooks.publish(text, jsonb, text) IS
    'publish an event in the current transaction; returns its id (the first event''s id for a repeated idempotency key)';

/* publishing is the publisher's whole job; nobody else gets it by default */
REVOKE ALL ON FUNCTION webhooks.publish(text, jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.publish(text, jsonb, text) TO webhooks_publisher, webhooks_admin;

-- Drops a subscription's pending messages on purpose (contract §4): those
-- held while it was paused or tripped, and any still queued or in flight (a
-- worker's later result for one is only logged). Failed messages stay for
-- replay. Returns the number dropped.
CREATE OR REPLACE FUNCTION webhooks.discard_pending(name text)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    sub_id bigint := webhooks.subscription_id(discard_pending.name);
    dropped bigint;
BEGIN
    DELETE FROM webhooks.messages m WHERE m.subscription_id = sub_id AND m.state = 'pending';
    GET DIAGNOSTICS dropped = ROW_COUNT;
    RETURN dropped;
END
$$;

COMMENT ON FUNCTION webhooks.discard_pending(text) IS
    'delete the named subscription''s pending messages (failed ones stay for replay); returns how many';

/* an operator's decision */
REVOKE ALL ON FUNCTION webhooks.discard_pending(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.discard_pending(text) TO webhooks_admin;

-- Drops a subscription's pending messages on purpose (contract §4): those
-- held while it was paused or tripped, and any still queued or in flight (a
-- worker's later result for one is only logged). Failed messages stay for
-- replay. Events published for it but not yet turned into messages
-- (webhooks.fan_out_queue) lose it from their queue rows first; that waits
-- for a claim turning them into messages right now, whose messages the
-- DELETE then sees. Returns the number dropped, queued ones included.
CREATE OR REPLACE FUNCTION webhooks.discard_pending(name text)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    sub_id bigint := webhooks.subscription_id(discard_pending.name);
    dropped bigint;
    unqueued bigint;
BEGIN
    UPDATE webhooks.fan_out_queue q SET subscription_ids = array_remove(q.subscription_ids, sub_id)
     WHERE sub_id = ANY (q.subscription_ids);
    GET DIAGNOSTICS unqueued = ROW_COUNT;
    DELETE FROM webhooks.messages m WHERE m.subscription_id = sub_id AND m.state = 'pending';
    GET DIAGNOSTICS dropped = ROW_COUNT;
    RETURN dropped + unqueued;
END
$$;

COMMENT ON FUNCTION webhooks.discard_pending(text) IS
    'delete the named subscription''s pending messages (failed ones stay for replay); returns how many';

/* an operator's decision */
REVOKE ALL ON FUNCTION webhooks.discard_pending(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.discard_pending(text) TO webhooks_admin;

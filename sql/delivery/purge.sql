-- Removes history older than older_than: the attempts in webhooks.deliveries
-- of messages that have finished (delivered or discarded: no row left in
-- webhooks.messages for that event and subscription), then events that no
-- message references and that have no attempts left on record. The history
-- of a message still pending or failed is never removed, whatever its age
-- (contract §9): why it failed stays on record for replay, and so do its
-- figures in webhooks.subscription_status. Attempts are matched to their
-- message by (event_id, subscription_id) through messages_event_id. An event
-- still waiting in webhooks.fan_out_queue is pending too. The append-only guard
-- lets it through because it sets webhooks.purging for itself alone (the SET
-- clause below restores the caller's value on exit). Returns rows removed.
CREATE OR REPLACE FUNCTION webhooks.purge(older_than interval)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
SET webhooks.purging TO 'off'
AS $$
DECLARE
    cutoff timestamptz;
    attempts_removed bigint;
    events_removed bigint;
BEGIN
    IF purge.older_than IS NULL OR purge.older_than < interval '0' THEN
        RAISE EXCEPTION 'older_than must be a non-negative interval, not %', coalesce(purge.older_than::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    cutoff := now() - purge.older_than;
    SET LOCAL webhooks.purging = 'on';

    DELETE FROM webhooks.deliveries d
     WHERE d.attempted_at < cutoff
       AND NOT EXISTS (SELECT FROM webhooks.messages m
                        WHERE m.event_id = d.event_id AND m.subscription_id = d.subscription_id);
    GET DIAGNOSTICS attempts_removed = ROW_COUNT;

    DELETE FROM webhooks.events e
     WHERE e.created_at < cutoff
       AND NOT EXISTS (SELECT FROM webhooks.messages m WHERE m.event_id = e.id)
       AND NOT EXISTS (SELECT FROM webhooks.deliveries d WHERE d.event_id = e.id)
       AND e.id NOT IN (SELECT q.event_id FROM webhooks.fan_out_queue q);
    GET DIAGNOSTICS events_removed = ROW_COUNT;

    SET LOCAL webhooks.purging = 'off';
    RETURN attempts_removed + events_removed;
END
$$;

COMMENT ON FUNCTION webhooks.purge(interval) IS
    'delete attempts of finished (delivered or discarded) messages and finished events older than older_than; the history of pending or failed messages stays; returns rows removed';

/* history is the operator's to keep or drop */
REVOKE ALL ON FUNCTION webhooks.purge(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.purge(interval) TO webhooks_admin;

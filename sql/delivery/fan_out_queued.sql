-- Turns queued events (webhooks.fan_out_queue) into messages: one per
-- subscription named in the queue row that still exists (a subscription
-- deleted since publishing gets nothing; a paused or tripped one gets its
-- messages, held). Each message is due from its event's publishing time, so
-- messages keep the order of their events. Takes at most max_events queue
-- rows, skipping rows another caller holds (SKIP LOCKED): any number of
-- workers run it at once without waiting for each other. Returns the number
-- of messages made.
-- Every webhooks.claim runs it first, so a worker finds the messages of
-- events published since its last claim; the operator's verbs that reason
-- about messages (discard_pending, redeliver, purge) run it too. Publishing
-- never waits for it (issue 10: see sql/schema/fan_out_queue.sql).
-- The bound keeps one claim short (a backlog of queued events is expanded
-- over successive claims); while more than max_events are queued, a fresh
-- event waits behind the older ones for that many claims.
CREATE OR REPLACE FUNCTION webhooks.fan_out_queued(max_events int DEFAULT 10000)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    created bigint;
BEGIN
    IF fan_out_queued.max_events IS NULL OR fan_out_queued.max_events < 1 THEN
        RAISE EXCEPTION 'max_events must be at least 1, not %', coalesce(fan_out_queued.max_events::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    WITH taken AS (
        DELETE FROM webhooks.fan_out_queue q
         WHERE q.ctid = ANY (ARRAY(SELECT x.ctid FROM webhooks.fan_out_queue x
                                    LIMIT fan_out_queued.max_events
                                    FOR UPDATE SKIP LOCKED))
        RETURNING q.event_id, q.published_at, q.subscription_ids
    )
    INSERT INTO webhooks.messages (event_id, subscription_id, next_attempt_at, created_at)
    SELECT t.event_id, s.id, t.published_at, t.published_at
      FROM taken t
     CROSS JOIN LATERAL unnest(t.subscription_ids) AS u(subscription_id)
      JOIN webhooks.subscriptions s ON s.id = u.subscription_id
     ORDER BY t.published_at;
    GET DIAGNOSTICS created = ROW_COUNT;
    RETURN created;
END
$$;

COMMENT ON FUNCTION webhooks.fan_out_queued(int) IS
    'worker API: turn up to max_events queued events into messages (one per subscription routed at publish time); every claim runs it first; returns messages made';

/* workers run it inside claim; operators may run it to see queued events as messages at once */
REVOKE ALL ON FUNCTION webhooks.fan_out_queued(int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.fan_out_queued(int) TO webhooks_worker, webhooks_admin;

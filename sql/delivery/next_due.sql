-- When a claim could next return something, so that an idle worker sleeps
-- until then (or a NOTIFY, or its fallback poll). Per subscription: the
-- earliest due message if it has room under max_in_flight, else the earliest
-- running lease's expiry; a tripped one with messages waits for its probe
-- time; a paused one never. Events still waiting in webhooks.fan_out_queue
-- are due now (the next claim turns them into messages). NULL when nothing
-- is queued that could be sent.
-- May be in the past: then claim now.
CREATE OR REPLACE FUNCTION webhooks.next_due()
RETURNS timestamptz
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
SET jit TO off
SET enable_bitmapscan TO off
AS $$
    SELECT min(t.at) FROM (
        SELECT CASE WHEN l.running < s.max_in_flight THEN d.first_at
                    ELSE greatest(d.first_at, l.first_expiry) END AS at
          FROM webhooks.subscriptions s
          CROSS JOIN LATERAL (
                SELECT m.next_attempt_at AS first_at FROM webhooks.messages m
                 WHERE m.subscription_id = s.id AND m.state = 'pending'
                 ORDER BY m.next_attempt_at LIMIT 1) d
          CROSS JOIN LATERAL (  -- an ordered walk of messages_leased, as in webhooks.claim
                SELECT count(*) AS running, min(x.lease_expires_at) AS first_expiry
                  FROM (SELECT m.lease_expires_at FROM webhooks.messages m
                         WHERE m.subscription_id = s.id AND m.lease_owner IS NOT NULL AND m.lease_expires_at > now()
                         ORDER BY m.lease_expires_at LIMIT s.max_in_flight) x) l
         WHERE s.enabled
        UNION ALL
        SELECT s.probe_at
          FROM webhooks.subscriptions s
         WHERE NOT s.enabled AND s.auto_disabled_at IS NOT NULL
           AND EXISTS (SELECT FROM webhooks.messages m WHERE m.subscription_id = s.id AND m.state = 'pending')
        UNION ALL
        SELECT now() WHERE EXISTS (SELECT FROM webhooks.fan_out_queue)
    ) t
$$;

COMMENT ON FUNCTION webhooks.next_due() IS
    'worker API: the earliest time a claim could return a message (NULL: nothing that could be sent is queued)';

/* part of the worker's loop; it reveals no more than queue timing */
REVOKE ALL ON FUNCTION webhooks.next_due() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.next_due() TO webhooks_worker, webhooks_admin;

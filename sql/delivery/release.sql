-- Gives leases back without counting an attempt (a worker shutting down, or
-- one that claimed more than it can send): the messages are due again at
-- once. Only the worker's own, still-running leases are released; a released
-- probe lets the circuit be probed again straight away.
CREATE OR REPLACE FUNCTION webhooks.release(worker_id text, message_ids bigint[])
RETURNS int
LANGUAGE sql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
    WITH released AS (
        UPDATE webhooks.messages m
           SET lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = now()
         WHERE m.id = ANY (release.message_ids)
           AND m.state = 'pending' AND m.lease_owner = release.worker_id
        RETURNING m.id, m.subscription_id
    ),
    probes AS (
        UPDATE webhooks.subscriptions s
           SET probe_at = now(), probe_message_id = NULL
          FROM released r
         WHERE s.id = r.subscription_id AND s.probe_message_id = r.id
           AND NOT s.enabled AND s.auto_disabled_at IS NOT NULL
    ),
    wake AS (
        SELECT pg_catalog.pg_notify('webhooks', '') WHERE EXISTS (SELECT FROM released)
    )
    SELECT count(*)::int FROM released, (SELECT count(*) FROM wake) w
$$;

COMMENT ON FUNCTION webhooks.release(text, bigint[]) IS
    'worker API: give back this worker''s leases on these messages without counting an attempt; returns how many were released';

/* only the worker that holds a lease has any use for giving it back */
REVOKE ALL ON FUNCTION webhooks.release(text, bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.release(text, bigint[]) TO webhooks_worker, webhooks_admin;

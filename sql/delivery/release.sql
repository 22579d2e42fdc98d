-- Gives leases back without counting an attempt (a worker shutting down, or
-- one that claimed more than it can send): the messages are due again at
-- once. Only (lease_token, message) pairs that claim handed to this worker
-- and that still hold the message are released, and they count as done for
-- the lease (a later record of one of them logs nothing: it was not sent).
-- A released probe lets the circuit be probed again straight away.
CREATE OR REPLACE FUNCTION webhooks.release(worker_id text, lease_token uuid, message_ids bigint[])
RETURNS int
LANGUAGE sql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
SET jit TO off
AS $$
    WITH lease AS MATERIALIZED (
        SELECT l.token, l.done, l.message_ids
          FROM webhooks.leases l
         WHERE l.token = release.lease_token AND l.worker_id = release.worker_id
           FOR UPDATE
    ),
    mine AS MATERIALIZED (  -- asked for, handed out under this lease, not recorded or released yet
        SELECT DISTINCT x.id
          FROM lease l, unnest(release.message_ids) x(id)
         WHERE x.id = ANY (l.message_ids) AND x.id <> ALL (l.done)
    ),
    released AS (
        UPDATE webhooks.messages m
           SET lease_owner = NULL, lease_expires_at = NULL, lease_token = NULL, next_attempt_at = now()
         WHERE m.id = ANY (ARRAY(SELECT mine.id FROM mine))
           AND m.lease_token = release.lease_token
        RETURNING m.id, m.subscription_id
    ),
    mark AS (
        UPDATE webhooks.leases l
           SET done = l.done || x.ids,
               finished_at = CASE WHEN cardinality(l.done) + cardinality(x.ids) >= cardinality(l.message_ids) THEN now() END
          FROM (SELECT array_agg(mine.id) AS ids FROM mine HAVING count(*) > 0) x
         WHERE l.token = release.lease_token
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

COMMENT ON FUNCTION webhooks.release(text, uuid, bigint[]) IS
    'worker API: give back this worker''s lease (token from claim) on these messages without counting an attempt; returns how many were released';

/* only the worker that holds a lease has any use for giving it back */
REVOKE ALL ON FUNCTION webhooks.release(text, uuid, bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.release(text, uuid, bigint[]) TO webhooks_worker, webhooks_admin;

-- Leases up to batch_size due messages to a worker and returns everything
-- needed to send them (URL, secrets, headers, exact body, attempt, timeout).
--
-- One statement, two levels (architecture.md, "The claim"):
--  1. subscriptions: enabled ones with due work and spare max_in_flight, plus
--     tripped ones whose probe time has come (one probe message each); their
--     rows are locked FOR NO KEY UPDATE SKIP LOCKED, so two claimers never work on
--     one subscription at once;
--  2. LATERAL, each subscription's share of the batch (batch_size split evenly
--     over the subscriptions picked, oldest due first) from its messages_due
--     range, FOR NO KEY UPDATE SKIP LOCKED.
-- Held messages (paused or tripped subscriptions) are never read: level 1
-- does not pick their subscription. A 1M backlog for one subscription delays
-- another's fresh events by at most one claim. A claim may return fewer rows
-- than batch_size when a subscription has less due work than its share; the
-- worker simply claims again.
--
-- Leases: next_attempt_at := lease expiry, so a leased message leaves the due
-- range and an expired one comes back without any sweeper. In flight is not a
-- counter but the number of running leases (messages_leased index, at most
-- max_in_flight entries read): an expired lease stops counting by itself.
-- That count is read from the statement's snapshot, which is only right if
-- no other claim for the subscription committed after the snapshot was taken;
-- every claim therefore writes the subscription row (last_claimed_at), and a
-- claimer that finds the locked row newer than the one in its snapshot
-- (xmin differs: EvalPlanQual handed it the latest version) skips it.
--
-- Measured (docs/benchmarks.md, "SQL delivery engine"; 2 cores, PostgreSQL 15,
-- command: bench/claim-record/run 20):
--   claim(100) -> record(100 delivered), 2 pgbench clients: 15,335 messages/s
--   with 1 subscription, 16,390 with 4 (target >= 10,000);
--   claim(100) with 10,000 due for a healthy subscription: 2.49 ms alone,
--   2.18 ms next to 1,000,000 held for a tripped one (target: within 20%).
-- Why the subscription-row lock and not only SKIP LOCKED on messages: without
-- it two claimers each see room under max_in_flight and together exceed it
-- (tests/pgtap/delivery/max_in_flight.sql caught 11 of 10 in 3 runs of 4
-- with the xmin check removed).
CREATE OR REPLACE FUNCTION webhooks.claim(worker_id text, batch_size int, lease interval)
RETURNS TABLE (
    message_id       bigint,
    event_id         uuid,
    subscription_id  bigint,
    attempt          int,
    url              text,
    secrets          text[],
    headers          jsonb,
    body             text,
    timeout_ms       int,
    lease_expires_at timestamptz
)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    IF claim.worker_id IS NULL OR btrim(claim.worker_id) = '' THEN
        RAISE EXCEPTION 'worker_id may not be empty' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF claim.batch_size IS NULL OR claim.batch_size < 1 THEN
        RAISE EXCEPTION 'batch_size must be at least 1, not %', claim.batch_size USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF claim.lease IS NULL OR claim.lease <= interval '0' THEN
        RAISE EXCEPTION 'lease must be a positive interval, not %', claim.lease USING ERRCODE = 'invalid_parameter_value';
    END IF;

    RETURN QUERY
    WITH candidates AS MATERIALIZED (
        -- enabled subscriptions with due work and room under max_in_flight
        SELECT s.id, s.xmin AS seen, false AS probe, d.due_at,
               s.max_in_flight - (SELECT count(*)::int FROM webhooks.messages l
                                   WHERE l.subscription_id = s.id AND l.lease_owner IS NOT NULL
                                     AND l.lease_expires_at > now()) AS room
          FROM webhooks.subscriptions s
          CROSS JOIN LATERAL (
                SELECT m.next_attempt_at AS due_at FROM webhooks.messages m
                 WHERE m.subscription_id = s.id AND m.state = 'pending' AND m.next_attempt_at <= now()
                 ORDER BY m.next_attempt_at LIMIT 1) d
         WHERE s.enabled
        UNION ALL
        -- tripped subscriptions whose cool-down is over: one probe each
        SELECT s.id, s.xmin, true, s.probe_at, 1
          FROM webhooks.subscriptions s
         WHERE NOT s.enabled AND s.auto_disabled_at IS NOT NULL AND s.probe_at <= now()
           AND EXISTS (SELECT FROM webhooks.messages m
                        WHERE m.subscription_id = s.id AND m.state = 'pending'
                          AND (m.lease_expires_at IS NULL OR m.lease_expires_at <= now()))
    ),
    locked AS MATERIALIZED (
        SELECT s.id, s.xmin AS latest
          FROM webhooks.subscriptions s
         WHERE s.id IN (SELECT c.id FROM candidates c WHERE c.room > 0
                         ORDER BY c.due_at, c.id LIMIT claim.batch_size)
           FOR NO KEY UPDATE SKIP LOCKED
    ),
    chosen AS MATERIALIZED (
        SELECT c.id, c.probe, c.room, row_number() OVER (ORDER BY c.due_at, c.id) AS rn
          FROM candidates c
          JOIN locked l ON l.id = c.id AND l.latest = c.seen  -- unchanged since our snapshot
         WHERE c.room > 0
         ORDER BY c.due_at, c.id
         LIMIT claim.batch_size
    ),
    shares AS (
        SELECT ch.id, ch.probe,
               least(ch.room, claim.batch_size / n.n + (ch.rn <= claim.batch_size % n.n)::int) AS share
          FROM chosen ch, (SELECT count(*)::int AS n FROM chosen) n
    ),
    picked AS (
        SELECT p.id
          FROM shares sh
          CROSS JOIN LATERAL (
                SELECT m.id FROM webhooks.messages m
                 WHERE m.subscription_id = sh.id AND m.state = 'pending'
                   -- a probe may take a message scheduled later; never one leased now
                   AND m.next_attempt_at <= CASE WHEN sh.probe THEN 'infinity'::timestamptz ELSE now() END
                   AND (NOT sh.probe OR m.lease_expires_at IS NULL OR m.lease_expires_at <= now())
                 ORDER BY m.next_attempt_at
                 LIMIT sh.share
                   FOR NO KEY UPDATE SKIP LOCKED) p
    ),
    claimed AS (
        -- by primary key from an id array (an InitPlan): joined to the CTE
        -- instead, the planner's row guess could pick a hash join over a
        -- sequential scan of the whole outbox (19 ms for claim(200) with
        -- 50,000 queued; see docs/benchmarks.md for after)
        UPDATE webhooks.messages m
           SET lease_owner = claim.worker_id,
               lease_expires_at = now() + claim.lease,
               next_attempt_at = now() + claim.lease
         WHERE m.id = ANY (ARRAY(SELECT p.id FROM picked p))
        RETURNING m.id, m.event_id, m.subscription_id, m.attempts, m.lease_expires_at
    ),
    touched AS (
        UPDATE webhooks.subscriptions s
           SET last_claimed_at = now(),
               -- a probe holds the circuit until its lease runs out
               probe_at = CASE WHEN s.enabled THEN s.probe_at ELSE now() + claim.lease END,
               probe_message_id = CASE WHEN s.enabled THEN s.probe_message_id
                                       ELSE (SELECT min(c.id) FROM claimed c WHERE c.subscription_id = s.id) END
         WHERE s.id IN (SELECT c.subscription_id FROM claimed c)
    )
    SELECT c.id,
           c.event_id,
           c.subscription_id,
           c.attempts + 1,
           s.url,
           CASE WHEN s.previous_secret IS NOT NULL AND s.previous_secret_expires_at > now()
                THEN ARRAY[s.secret, s.previous_secret] ELSE ARRAY[s.secret] END,
           s.headers,
           format('{"type": %s, "timestamp": %s, "data": %s}',
                  to_json(e.event_type)::text,
                  to_json(to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text,
                  e.payload::text),
           (extract(epoch FROM s.timeout) * 1000)::int,
           c.lease_expires_at
      FROM claimed c
      JOIN webhooks.subscriptions s ON s.id = c.subscription_id
      JOIN webhooks.events e ON e.id = c.event_id
     ORDER BY c.subscription_id, c.id;
END
$$;

COMMENT ON FUNCTION webhooks.claim(text, int, interval) IS
    'worker API: lease up to batch_size due messages (fairly across subscriptions, within max_in_flight) and return all that sending needs';

/* only workers (and operators, for debugging) may take messages off the queue */
REVOKE ALL ON FUNCTION webhooks.claim(text, int, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.claim(text, int, interval) TO webhooks_worker, webhooks_admin;

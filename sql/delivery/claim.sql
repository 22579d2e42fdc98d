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
-- Fan-out: it first turns queued events into messages
-- (webhooks.fan_out_queued, at most 10,000 events per claim), so the
-- messages of an event published just before are among those it can take.
--
-- Lease token (contract §9, issue 8): every call hands out one fresh,
-- unguessable token (gen_random_uuid, 122 random bits) shared by its rows and
-- writes one webhooks.leases row holding, per message, the event,
-- subscription and attempt it was sent as. record and release act only on
-- (token, message) pairs found there for the same worker_id, and a result
-- moves a message only while the message still carries that token: a later
-- lease of the same message (even by the same worker) has another token.
-- A row's lease runs for greatest(lease, its subscription's timeout + 5 s),
-- so no message goes out again while its first request may still be waiting
-- (issue 8: 35 POSTs for 5 events with timeout > --lease on 0.1.0).
-- skip_subscriptions: subscriptions the worker is saturated with (its
-- fair-share cap); level 1 leaves them out. The per-subscription LATERAL of
-- level 2 is where per-subscription FIFO ordering would go later.
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
-- Plans that do not depend on statistics (issue 10): the running-lease count
-- reads messages_leased with ORDER BY ... LIMIT max_in_flight (a plain index
-- scan that skips entries already found dead; 0.1.0's count(*) became a
-- bitmap scan re-reading ~15,000 dead entries per call before ANALYZE), and
-- the function runs with jit = off (inflated row estimates with 300,000
-- queued pushed claim past jit_above_cost: 45-60 ms of JIT per call),
-- enable_bitmapscan = off and enable_seqscan = off (every scan of messages
-- here is an ordered walk of one index or a primary-key lookup, whatever
-- the statistics say; subscriptions is read through its primary key).
-- Measured (command: bench/claim-record/compare 10; docs/benchmarks.md,
-- "SQL delivery engine, 0.2.0"): claim(100) -> record loop, 2 clients,
-- 400,000 queued, cold (tables analyzed empty, then published) vs analyzed
-- in one run: 0.1.0 4,710/s vs 26,340/s, this 24,340/s vs 21,350/s;
-- claim(32) 1.59 ms (0.1.0: 1.44 ms, the lease row costs ~0.1 ms).
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
CREATE OR REPLACE FUNCTION webhooks.claim(worker_id text, batch_size int, lease interval,
                                          skip_subscriptions bigint[] DEFAULT '{}')
RETURNS TABLE (
    lease_token       uuid,
    message_id        bigint,
    event_id          uuid,
    subscription_id   bigint,
    subscription_name text,
    attempt           int,
    url               text,
    secrets           text[],
    headers           jsonb,
    body              text,
    timeout_ms        int,
    lease_expires_at  timestamptz
)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
SET jit TO off
SET enable_bitmapscan TO off
SET enable_seqscan TO off
AS $$
#variable_conflict use_column
DECLARE
    new_token uuid := gen_random_uuid();
    claimed_clock timestamptz := clock_timestamp();
    skipped bigint[] := coalesce(claim.skip_subscriptions, '{}');
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

    -- events published since the last claim become messages first
    -- (issue 10: the fan-out runs here, not in the publisher's transaction)
    PERFORM webhooks.fan_out_queued();

    RETURN QUERY
    WITH candidates AS MATERIALIZED (
        -- enabled subscriptions with due work and room under max_in_flight
        SELECT s.id, s.xmin AS seen, false AS probe, d.due_at, s.timeout,
               s.max_in_flight - (SELECT count(*)::int FROM (
                                      SELECT FROM webhooks.messages l
                                       WHERE l.subscription_id = s.id AND l.lease_owner IS NOT NULL
                                         AND l.lease_expires_at > now()
                                       ORDER BY l.lease_expires_at
                                       LIMIT s.max_in_flight) running) AS room
          FROM webhooks.subscriptions s
          CROSS JOIN LATERAL (
                SELECT m.next_attempt_at AS due_at FROM webhooks.messages m
                 WHERE m.subscription_id = s.id AND m.state = 'pending' AND m.next_attempt_at <= now()
                 ORDER BY m.next_attempt_at LIMIT 1) d
         WHERE s.enabled AND s.id <> ALL (skipped)
        UNION ALL
        -- tripped subscriptions whose cool-down is over: one probe each
        SELECT s.id, s.xmin, true, s.probe_at, s.timeout, 1
          FROM webhooks.subscriptions s
         WHERE NOT s.enabled AND s.auto_disabled_at IS NOT NULL AND s.probe_at <= now()
           AND s.id <> ALL (skipped)
           -- an ordered LIMIT 1 walk of messages_due, not an EXISTS the
           -- planner may turn into a semi-join over a scan of the outbox
           AND (SELECT true FROM webhooks.messages m
                 WHERE m.subscription_id = s.id AND m.state = 'pending'
                   AND (m.lease_expires_at IS NULL OR m.lease_expires_at <= now())
                 ORDER BY m.next_attempt_at LIMIT 1)
    ),
    locked AS MATERIALIZED (
        SELECT s.id, s.xmin AS latest
          FROM webhooks.subscriptions s
         WHERE s.id IN (SELECT c.id FROM candidates c WHERE c.room > 0
                         ORDER BY c.due_at, c.id LIMIT claim.batch_size)
           FOR NO KEY UPDATE SKIP LOCKED
    ),
    chosen AS MATERIALIZED (
        SELECT c.id, c.probe, c.room, c.timeout, row_number() OVER (ORDER BY c.due_at, c.id) AS rn
          FROM candidates c
          JOIN locked l ON l.id = c.id AND l.latest = c.seen  -- unchanged since our snapshot
         WHERE c.room > 0
         ORDER BY c.due_at, c.id
         LIMIT claim.batch_size
    ),
    shares AS (
        SELECT ch.id, ch.probe, ch.timeout,
               least(ch.room, claim.batch_size / n.n + (ch.rn <= claim.batch_size % n.n)::int) AS share
          FROM chosen ch, (SELECT count(*)::int AS n FROM chosen) n
    ),
    picked AS MATERIALIZED (
        SELECT p.id, sh.probe,
               -- the lease always outlasts the subscription's timeout (contract §9)
               now() + greatest(claim.lease, sh.timeout + interval '5 seconds') AS expires
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
        -- alone, the planner's row guess could pick a hash join over a
        -- sequential scan of the whole outbox (19 ms for claim(200) with
        -- 50,000 queued on 0.1.0)
        UPDATE webhooks.messages m
           SET lease_owner = claim.worker_id,
               lease_token = new_token,
               lease_expires_at = p.expires,
               next_attempt_at = p.expires
          FROM picked p
         WHERE m.id = ANY (ARRAY(SELECT p2.id FROM picked p2)) AND m.id = p.id
        RETURNING m.id, m.event_id, m.subscription_id, m.attempts, m.lease_expires_at, p.probe
    ),
    leased AS (
        INSERT INTO webhooks.leases (token, worker_id, claimed_at, expires_at, message_ids, event_ids,
                                     subscription_ids, attempts, probe_ids)
        SELECT new_token, claim.worker_id, claimed_clock, max(c.lease_expires_at),
               array_agg(c.id ORDER BY c.id), array_agg(c.event_id ORDER BY c.id),
               array_agg(c.subscription_id ORDER BY c.id), array_agg(c.attempts + 1 ORDER BY c.id),
               coalesce(array_agg(c.id ORDER BY c.id) FILTER (WHERE c.probe), '{}')
          FROM claimed c
        HAVING count(*) > 0
    ),
    touched AS (
        UPDATE webhooks.subscriptions s
           SET last_claimed_at = now(),
               -- a probe holds the circuit until its lease runs out
               probe_at = CASE WHEN s.enabled THEN s.probe_at
                               ELSE (SELECT max(c.lease_expires_at) FROM claimed c WHERE c.subscription_id = s.id) END,
               probe_message_id = CASE WHEN s.enabled THEN s.probe_message_id
                                       ELSE (SELECT min(c.id) FROM claimed c WHERE c.subscription_id = s.id) END
         WHERE s.id IN (SELECT c.subscription_id FROM claimed c)
    )
    SELECT new_token,
           c.id,
           c.event_id,
           c.subscription_id,
           s.name,
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

COMMENT ON FUNCTION webhooks.claim(text, int, interval, bigint[]) IS
    'worker API: lease up to batch_size due messages (fairly across subscriptions, within max_in_flight, none of skip_subscriptions) under one fresh lease token and return all that sending needs';

/* only workers (and operators, for debugging) may take messages off the queue */
REVOKE ALL ON FUNCTION webhooks.claim(text, int, interval, bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.claim(text, int, interval, bigint[]) TO webhooks_worker, webhooks_admin;

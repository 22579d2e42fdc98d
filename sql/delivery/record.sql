-- Records a batch of delivery attempts (contract §6, §9). The worker sends
-- back, per request, the lease token and message id that claim handed it and
-- what happened (status, duration, error, first KiB of the response,
-- Retry-After); the database knows the rest from webhooks.leases.
--
-- Per (lease_token, message_id) of this worker_id's leases, exactly once:
--  - one webhooks.deliveries row, always (lease expired and re-leased,
--    message discarded, delivered by another worker, subscription deleted:
--    then the row says "late result" and nothing else moves);
--  - if the message still carries that lease token, it moves: 2xx delivered
--    (deleted); no response, 408, 429, 5xx retried on the jittered schedule
--    (retry_schedule[attempt] x uniform(0.8, 1.2); a Retry-After may lengthen
--    that up to 1 day, never shorten it) while attempts are left, then
--    failed; any other status failed at once; 410 also pauses the
--    subscription. A failed probe of a tripped circuit is logged as retrying
--    and leaves its message's attempts as they were (contract §9).
-- A result whose pair claim never handed to this worker_id (another
-- worker's token, made-up ids) is neither logged nor applied; they are
-- counted in one WARNING. A pair recorded before (the worker retrying a
-- record whose commit was in doubt) logs and changes nothing: idempotent.
--
-- Fast path: one set-based statement for the batch (webhooks.record_batch),
-- then one short step per subscription with failures (circuit, alerts). If
-- that fails (a poison result: e.g. a value out of range), it is rolled back
-- to a savepoint and the batch is redone one result at a time; a result that
-- fails alone is logged with the error and leaves its message leased, so it
-- is sent again when the lease expires: nothing is lost, nothing else waits.
-- Returns the number of attempts logged.
CREATE OR REPLACE FUNCTION webhooks.record(worker_id text, results jsonb)
RETURNS int
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
SET jit TO off
AS $$
DECLARE
    logged int := 0;
    forged int := 0;
    one_logged int;
    one_forged int;
    elem jsonb;
    err text;
BEGIN
    IF record.results IS NULL THEN
        RETURN 0;
    END IF;
    IF jsonb_typeof(record.results) <> 'array' THEN
        RAISE EXCEPTION 'results must be a JSON array of attempt objects, not %', jsonb_typeof(record.results)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF jsonb_array_length(record.results) = 0 THEN
        RETURN 0;
    END IF;

    BEGIN
        SELECT b.logged, b.forged INTO logged, forged FROM webhooks.record_batch(record.worker_id, record.results) b;
    EXCEPTION WHEN OTHERS THEN
        logged := 0;
        forged := 0;
        FOR elem IN SELECT e FROM jsonb_array_elements(record.results) e LOOP
            BEGIN
                SELECT b.logged, b.forged INTO one_logged, one_forged
                  FROM webhooks.record_batch(record.worker_id, jsonb_build_array(elem)) b;
            EXCEPTION WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS err = MESSAGE_TEXT;
                BEGIN
                    SELECT u.logged, u.forged INTO one_logged, one_forged
                      FROM webhooks.record_unapplied(record.worker_id, elem, err) u;
                EXCEPTION WHEN OTHERS THEN
                    GET STACKED DIAGNOSTICS err = MESSAGE_TEXT;
                    RAISE WARNING 'webhooks.record: a result of worker "%" could not be logged: %', record.worker_id, err;
                    one_logged := 0;
                    one_forged := 0;
                END;
            END;
            logged := logged + one_logged;
            forged := forged + one_forged;
        END LOOP;
    END;

    IF forged > 0 THEN
        RAISE WARNING 'webhooks.record: % result(s) ignored: their lease token and message were never handed to worker "%"',
            forged, record.worker_id;
    END IF;
    -- about one call in fifty sweeps old lease facts (cheap: an index range)
    IF random() < 0.02 THEN
        PERFORM webhooks.clean_leases();
    END IF;
    RETURN logged;
END
$$;

COMMENT ON FUNCTION webhooks.record(text, jsonb) IS
    'worker API: log a batch of attempts (JSON array of {lease_token, message_id, status_code, duration_ms, error, response, retry_after_s}) once each and move each message whose lease it is; counts failures and trips circuits';

/* recording outcomes moves messages and trips circuits: workers and operators only */
REVOKE ALL ON FUNCTION webhooks.record(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.record(text, jsonb) TO webhooks_worker, webhooks_admin;


-- The set-based body of webhooks.record (internal; runs with record's rights).
-- Every statement reaches webhooks.messages only by primary key (an id array
-- is the index condition; the lease token is checked on the row, and no
-- index covers it, so the partial indexes cannot be combined with the PK as
-- 0.1.0's state/lease_owner filters let the planner do before ANALYZE), and
-- no join of two CTEs has a guessed size: the log marks applied results by a
-- hashed IN list instead of 0.1.0's `log LEFT JOIN applied` nested loop
-- (24,000-35,000 rows discarded per call). record(32 results): 1.23 ms
-- (0.1.0: 1.16 ms on a clean table; command: bench/claim-record/compare 10,
-- docs/benchmarks.md). The outcome class and the response capture are
-- inlined: as functions with SET search_path they cost 2 ms per batch of 32.
CREATE OR REPLACE FUNCTION webhooks.record_batch(worker_id text, results jsonb, OUT logged int, OUT forged int)
LANGUAGE plpgsql
SET search_path TO pg_catalog, pg_temp
SET enable_seqscan TO off
SET enable_bitmapscan TO off
AS $$
DECLARE
    per_subscription jsonb;
BEGIN
    WITH r AS MATERIALIZED (
        SELECT e.ord,
               (e.j->>'lease_token')::uuid                 AS token,
               (e.j->>'message_id')::bigint                AS message_id,
               (e.j->>'status_code')::int                  AS status_code,
               (e.j->>'duration_ms')::int                  AS duration_ms,
               e.j->>'error'                               AS error,
               CASE WHEN coalesce(octet_length(e.j->>'response'), 0) <= 1024 THEN e.j->>'response'
                    ELSE webhooks.response_capture(e.j->>'response') END AS response,
               -- Retry-After is capped at 1 day (retry_after_cap_seconds)
               -- (least/greatest skip NULLs: none given stays NULL)
               CASE WHEN e.j->>'retry_after_s' IS NOT NULL
                    THEN greatest(least((e.j->>'retry_after_s')::float8, 86400), 0) END AS retry_after_s
          FROM jsonb_array_elements(record_batch.results) WITH ORDINALITY AS e(j, ord)
    ),
    lease AS MATERIALIZED (  -- this worker's leases named in the batch, locked: one record per lease at a time
        SELECT l.token, l.claimed_at, l.message_ids, l.event_ids, l.subscription_ids, l.attempts, l.probe_ids, l.done
          FROM webhooks.leases l
         WHERE l.token = ANY (ARRAY(SELECT DISTINCT r.token FROM r WHERE r.token IS NOT NULL))
           AND l.worker_id = record_batch.worker_id
           FOR UPDATE
    ),
    f AS MATERIALIZED (  -- results for pairs handed to this worker and not recorded yet (first one of repeats)
        SELECT DISTINCT ON (r.token, r.message_id)
               r.*, l.claimed_at, l.event_ids[x.i] AS event_id, l.subscription_ids[x.i] AS subscription_id,
               l.attempts[x.i] AS attempt, r.message_id = ANY (l.probe_ids) AS probe,
               webhooks.outcome_class(r.status_code) AS class
          FROM r
          JOIN lease l ON l.token = r.token
          CROSS JOIN LATERAL (SELECT array_position(l.message_ids, r.message_id) AS i) x
         WHERE x.i IS NOT NULL AND r.message_id <> ALL (l.done)
         ORDER BY r.token, r.message_id, r.ord
    ),
    o AS MATERIALIZED (
        SELECT f.*,
               -- a probe while its circuit is still tripped (re-enabled by an
               -- operator meanwhile, it is an ordinary attempt)
               f.probe AND coalesce(NOT s.enabled AND s.auto_disabled_at IS NOT NULL, false) AS held_probe,
               coalesce(s.enabled AND s.consecutive_failures = 0, false) AS healthy,
               CASE WHEN f.class = 'delivered' THEN 'delivered'
                    WHEN f.probe AND coalesce(NOT s.enabled AND s.auto_disabled_at IS NOT NULL, false)
                    THEN 'retrying'  -- a failed probe keeps the held message's budget
                    WHEN f.class = 'retry' AND f.attempt <= coalesce(cardinality(s.retry_schedule), 0) THEN 'retrying'
                    ELSE 'failed' END AS outcome,
               -- bounded whatever the schedule says: never "timestamp out of range"
               least(s.retry_schedule[f.attempt], interval '100 years') * (0.8 + 0.4 * random()) AS jittered
          FROM f
          LEFT JOIN webhooks.subscriptions s ON s.id = f.subscription_id
    ),
    done_msgs AS (
        DELETE FROM webhooks.messages m
         USING o
         WHERE m.id = ANY (ARRAY(SELECT o2.message_id FROM o o2 WHERE o2.outcome = 'delivered'))
           AND m.id = o.message_id AND m.lease_token = o.token AND o.outcome = 'delivered'
        RETURNING o.token, m.id
    ),
    moved AS (
        UPDATE webhooks.messages m
           SET attempts = CASE WHEN o.held_probe THEN m.attempts ELSE o.attempt END,
               state = CASE WHEN o.outcome = 'failed' THEN 'failed' ELSE 'pending' END,
               next_attempt_at = CASE WHEN o.outcome = 'failed' OR o.held_probe THEN now()
                                      WHEN o.retry_after_s IS NULL OR make_interval(secs => o.retry_after_s) <= o.jittered
                                      THEN now() + o.jittered
                                      ELSE now() + make_interval(secs => o.retry_after_s) END,
               lease_owner = NULL,
               lease_expires_at = NULL,
               lease_token = NULL
          FROM o
         WHERE m.id = ANY (ARRAY(SELECT o2.message_id FROM o o2 WHERE o2.outcome <> 'delivered'))
           AND m.id = o.message_id AND m.lease_token = o.token AND o.outcome <> 'delivered'
        RETURNING o.token, m.id
    ),
    applied AS (
        SELECT d.token, d.id FROM done_msgs d UNION ALL SELECT mv.token, mv.id FROM moved mv
    ),
    log AS (
        INSERT INTO webhooks.deliveries (event_id, subscription_id, attempt, status_code, duration_ms,
                                         outcome, error, response, worker_id)
        SELECT o.event_id, o.subscription_id, o.attempt, o.status_code, o.duration_ms, o.outcome,
               CASE WHEN (o.token, o.message_id) IN (SELECT a.token, a.id FROM applied a) THEN o.error
                    ELSE concat_ws('; ', o.error, 'late result: the message had moved on (lease expired, re-leased, discarded or finished); it was not moved') END,
               o.response, record_batch.worker_id
          FROM o
         ORDER BY o.ord
        RETURNING 1
    ),
    mark AS (
        UPDATE webhooks.leases l
           SET done = l.done || x.ids,
               finished_at = CASE WHEN cardinality(l.done) + cardinality(x.ids) >= cardinality(l.message_ids) THEN now() END
          FROM (SELECT f.token, array_agg(f.message_id) AS ids FROM f GROUP BY f.token) x
         WHERE l.token = x.token
    ),
    ap AS (  -- results that moved their message, per subscription, for the circuit and the alerts
        SELECT o.*, coalesce(max(o.ord) FILTER (WHERE o.outcome = 'delivered') OVER (PARTITION BY o.subscription_id), 0) AS last_ok
          FROM o
         WHERE (o.token, o.message_id) IN (SELECT a.token, a.id FROM applied a)
    ),
    per_sub AS (
        SELECT ap.subscription_id,
               count(*) FILTER (WHERE ap.outcome = 'delivered') AS successes,
               count(*) FILTER (WHERE ap.outcome <> 'delivered' AND NOT ap.held_probe AND ap.ord > ap.last_ok) AS failures_after,
               max(ap.claimed_at) FILTER (WHERE ap.outcome <> 'delivered' AND NOT ap.held_probe AND ap.ord > ap.last_ok)
                                                                AS last_failure_claimed_at,
               coalesce(bool_or(ap.held_probe AND ap.outcome <> 'delivered'), false) AS probe_failed,
               coalesce(bool_or(ap.status_code = 410), false)   AS gone,
               (array_agg(CASE WHEN ap.status_code IS NULL THEN coalesce(ap.error, 'no response')
                               ELSE concat_ws(': ', 'HTTP ' || ap.status_code, ap.error) END
                          ORDER BY ap.ord DESC) FILTER (WHERE ap.outcome <> 'delivered'))[1] AS last_error,
               (array_agg(ap.status_code ORDER BY ap.ord DESC) FILTER (WHERE ap.outcome <> 'delivered'))[1] AS last_status,
               (array_agg(ap.response ORDER BY ap.ord DESC) FILTER (WHERE ap.outcome <> 'delivered'))[1] AS last_response,
               jsonb_agg(jsonb_build_object('ord', ap.ord, 'message_id', ap.message_id, 'event_id', ap.event_id,
                                            'attempts', ap.attempt, 'status_code', ap.status_code, 'error', ap.error,
                                            'response', left(ap.response, 256)) ORDER BY ap.ord)
                   FILTER (WHERE ap.outcome = 'failed') AS failed,
               bool_and(ap.healthy AND ap.outcome = 'delivered') AS all_well
          FROM ap
         GROUP BY ap.subscription_id
    )
    SELECT (SELECT count(*) FROM log),
           (SELECT count(*) FROM r WHERE NOT EXISTS (SELECT FROM lease l WHERE l.token = r.token
                                                                            AND r.message_id = ANY (l.message_ids))),
           -- only subscriptions with something to change: a batch of
           -- successes for a healthy one skips record_subscriptions (0.6 ms)
           (SELECT jsonb_agg(to_jsonb(p)) FROM per_sub p WHERE NOT p.all_well)
      INTO logged, forged, per_subscription;

    IF per_subscription IS NOT NULL THEN
        PERFORM webhooks.record_subscriptions(per_subscription);
    END IF;
END
$$;

COMMENT ON FUNCTION webhooks.record_batch(text, jsonb) IS
    'internal (webhooks.record): log and apply a batch of results set-based; returns attempts logged and results that matched no lease';

/* internal: reached only through webhooks.record */
REVOKE ALL ON FUNCTION webhooks.record_batch(text, jsonb) FROM PUBLIC;


-- A result that could not be applied even alone (webhooks.record's
-- fallback): logged from its lease facts with the error, and marked done;
-- its message is left as it is (leased: it is sent again when the lease
-- expires). Fields that do not parse are logged as NULL.
CREATE OR REPLACE FUNCTION webhooks.record_unapplied(worker_id text, result jsonb, reason text,
                                                     OUT logged int, OUT forged int)
LANGUAGE plpgsql
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    tok uuid;
    mid bigint;
    l webhooks.leases;
    i int;
    status int;
    took int;
BEGIN
    logged := 0;
    forged := 1;
    BEGIN
        tok := (record_unapplied.result->>'lease_token')::uuid;
        mid := (record_unapplied.result->>'message_id')::bigint;
    EXCEPTION WHEN OTHERS THEN
        RETURN;  -- no pair to match: counted as never handed out
    END;
    SELECT * INTO l FROM webhooks.leases x WHERE x.token = tok AND x.worker_id = record_unapplied.worker_id FOR UPDATE;
    i := array_position(l.message_ids, mid);
    IF i IS NULL THEN
        RETURN;
    END IF;
    forged := 0;
    IF mid = ANY (l.done) THEN
        RETURN;  -- recorded before: nothing twice
    END IF;
    BEGIN
        status := (record_unapplied.result->>'status_code')::int;
    EXCEPTION WHEN OTHERS THEN
        status := NULL;
    END;
    BEGIN
        took := (record_unapplied.result->>'duration_ms')::int;
    EXCEPTION WHEN OTHERS THEN
        took := NULL;
    END;
    INSERT INTO webhooks.deliveries (event_id, subscription_id, attempt, status_code, duration_ms,
                                     outcome, error, response, worker_id)
    VALUES (l.event_ids[i], l.subscription_ids[i], l.attempts[i], status, took,
            CASE webhooks.outcome_class(status) WHEN 'delivered' THEN 'delivered' WHEN 'retry' THEN 'retrying' ELSE 'failed' END,
            concat_ws('; ', left(record_unapplied.result->>'error', 1000),
                      'result not applied (' || left(record_unapplied.reason, 500)
                      || '); the message keeps its lease and is sent again when it expires'),
            webhooks.response_capture(record_unapplied.result->>'response'), record_unapplied.worker_id);
    UPDATE webhooks.leases x
       SET done = x.done || mid,
           finished_at = CASE WHEN cardinality(x.done) + 1 >= cardinality(x.message_ids) THEN now() END
     WHERE x.token = tok;
    logged := 1;
END
$$;

COMMENT ON FUNCTION webhooks.record_unapplied(text, jsonb, text) IS
    'internal (webhooks.record): log a result that could not be applied, with the reason; its message keeps its lease';

/* internal: reached only through webhooks.record */
REVOKE ALL ON FUNCTION webhooks.record_unapplied(text, jsonb, text) FROM PUBLIC;


-- Per subscription with failures in a recorded batch: the circuit, the 410
-- pause and the coalesced webhooks.message.failed alert. Locks each
-- subscription row in id order (no deadlock between two recorders), and only
-- rows that change: a batch of successes for a healthy subscription writes
-- nothing here and so never waits for a claim.
--
-- The circuit counts sustained failure, not bursts (contract §9): a failed
-- attempt counts towards circuit_threshold only if its request was claimed
-- after the previous counted failure was recorded
-- (subscription_health.failure_counted_at). Requests in flight together are
-- one signal: 64 concurrent requests that all fail count once, while a dead
-- receiver, whose every claim comes after the last recorded failure, counts
-- once per claim-send-record round and trips after circuit_threshold rounds.
-- A success resets the count. Failed probes do not count (the circuit is
-- already tripped); they double the cool-down.
CREATE OR REPLACE FUNCTION webhooks.record_subscriptions(per_subscription jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    p record;
    sub webhooks.subscriptions;
    h webhooks.subscription_health;
    tripped boolean;
    counted boolean;
    failures int;
    verdict text;
    final_failures int;
    last_failed jsonb;
    unreported int;
    reported_at timestamptz;
    first_cooldown interval := coalesce(nullif(current_setting('webhooks.probe_cooldown', true), ''), '1 min')::interval;
    max_cooldown interval := coalesce(nullif(current_setting('webhooks.probe_cooldown_max', true), ''), '1 hour')::interval;
    alert_window interval := coalesce(nullif(current_setting('webhooks.failed_alert_window', true), ''), '5 min')::interval;
BEGIN
    FOR p IN
        SELECT * FROM jsonb_to_recordset(record_subscriptions.per_subscription) AS a(
            subscription_id bigint, successes int, failures_after int, last_failure_claimed_at timestamptz,
            probe_failed boolean, gone boolean, last_error text, last_status int, last_response text, failed jsonb)
         ORDER BY a.subscription_id
    LOOP
        SELECT s.* INTO sub FROM webhooks.subscriptions s WHERE s.id = p.subscription_id;
        CONTINUE WHEN NOT FOUND;
        CONTINUE WHEN p.failures_after = 0 AND NOT p.probe_failed AND NOT p.gone AND p.failed IS NULL
                  AND sub.enabled AND sub.consecutive_failures = 0;
        SELECT s.* INTO sub FROM webhooks.subscriptions s WHERE s.id = p.subscription_id FOR NO KEY UPDATE;
        CONTINUE WHEN NOT FOUND;
        SELECT x.* INTO h FROM webhooks.subscription_health x WHERE x.subscription_id = sub.id;

        tripped := NOT sub.enabled AND sub.auto_disabled_at IS NOT NULL;
        counted := p.failures_after > 0
                   AND (h.failure_counted_at IS NULL OR p.last_failure_claimed_at > h.failure_counted_at);
        failures := CASE WHEN p.successes > 0 THEN counted::int ELSE sub.consecutive_failures + counted::int END;
        verdict := CASE WHEN p.gone AND (sub.enabled OR tripped) THEN 'pause'
                       WHEN tripped AND p.successes > 0 THEN 'recover'
                       WHEN tripped AND p.probe_failed THEN 'probe_failed'
                       WHEN sub.enabled AND failures >= sub.circuit_threshold THEN 'trip'
                       ELSE 'count' END;

        -- message.failed, coalesced: at most one per alert window per
        -- subscription, carrying how many failed since the previous one
        -- and the last of them; never about operational events (no loops)
        SELECT count(*)::int, (array_agg(x.j || jsonb_build_object('event_type', e.event_type) ORDER BY (x.j->>'ord')::int DESC))[1]
          INTO final_failures, last_failed
          FROM jsonb_array_elements(coalesce(p.failed, '[]')) x(j)
          JOIN webhooks.events e ON e.id = (x.j->>'event_id')::uuid
         WHERE e.event_type NOT LIKE 'webhooks.%';
        unreported := coalesce(h.failed_unreported, 0) + final_failures;
        reported_at := h.failed_reported_at;
        last_failed := coalesce(last_failed, h.failed_last);
        IF unreported > 0 AND (reported_at IS NULL OR reported_at <= now() - alert_window)
           AND EXISTS (SELECT FROM webhooks.event_types t WHERE t.name = 'webhooks.message.failed') THEN
            PERFORM webhooks.store_event('webhooks.message.failed',
                                jsonb_build_object('subscription', sub.name, 'subscription_id', sub.id,
                                       'url', webhooks.redact_url(sub.url),
                                       'count', unreported, 'window', alert_window::text, 'since', reported_at,
                                       'message_id', last_failed->'message_id', 'event_id', last_failed->'event_id',
                                       'event_type', last_failed->'event_type', 'attempts', last_failed->'attempts',
                                       'status_code', last_failed->'status_code', 'error', last_failed->'error',
                                       'response', last_failed->'response'),
                    NULL, sub.id);
            unreported := 0;
            reported_at := now();
            last_failed := NULL;
        END IF;

        INSERT INTO webhooks.subscription_health AS x
               (subscription_id, failure_counted_at, last_status_code, last_response,
                failed_reported_at, failed_unreported, failed_last)
        VALUES (sub.id, CASE WHEN counted THEN clock_timestamp() ELSE h.failure_counted_at END,
                coalesce(p.last_status, h.last_status_code), coalesce(p.last_response, h.last_response),
                reported_at, unreported, last_failed)
        ON CONFLICT (subscription_id) DO UPDATE
           SET failure_counted_at = excluded.failure_counted_at,
               last_status_code = CASE WHEN p.last_error IS NOT NULL THEN p.last_status ELSE x.last_status_code END,
               last_response = CASE WHEN p.last_error IS NOT NULL THEN p.last_response ELSE x.last_response END,
               failed_reported_at = excluded.failed_reported_at,
               failed_unreported = excluded.failed_unreported,
               failed_last = excluded.failed_last;

        UPDATE webhooks.subscriptions s
           SET consecutive_failures = failures,
               last_error = CASE WHEN verdict = 'pause'
                                 THEN 'paused: the receiver answered 410 Gone (' || coalesce(p.last_error, 'HTTP 410') || ')'
                                 ELSE coalesce(p.last_error, s.last_error) END,
               -- 'recover' goes through the re-enable path of the validate trigger
               enabled = CASE verdict WHEN 'pause' THEN false WHEN 'recover' THEN true
                                     WHEN 'trip' THEN false ELSE s.enabled END,
               auto_disabled_at = CASE verdict WHEN 'pause' THEN NULL WHEN 'trip' THEN now()
                                              ELSE s.auto_disabled_at END,
               probe_cooldown = CASE verdict WHEN 'pause' THEN NULL WHEN 'trip' THEN first_cooldown
                                    WHEN 'probe_failed' THEN least(coalesce(s.probe_cooldown, first_cooldown) * 2, max_cooldown)
                                    ELSE s.probe_cooldown END,
               probe_at = CASE verdict WHEN 'pause' THEN NULL WHEN 'trip' THEN now() + first_cooldown
                              WHEN 'probe_failed' THEN now() + least(coalesce(s.probe_cooldown, first_cooldown) * 2, max_cooldown)
                              ELSE s.probe_at END,
               probe_message_id = CASE WHEN verdict = 'count' THEN s.probe_message_id END
         WHERE s.id = sub.id;

        IF verdict = 'pause' AND EXISTS (SELECT FROM webhooks.event_types t WHERE t.name = 'webhooks.subscription.paused') THEN
            PERFORM webhooks.store_event('webhooks.subscription.paused',
                                jsonb_build_object('subscription', sub.name, 'subscription_id', sub.id,
                                       'url', webhooks.redact_url(sub.url), 'reason', 'gone',
                                       'last_error', 'paused: the receiver answered 410 Gone (' || coalesce(p.last_error, 'HTTP 410') || ')',
                                       'status_code', p.last_status, 'response', left(p.last_response, 256),
                                       'paused_at', now()),
                    NULL, sub.id);
        END IF;
    END LOOP;
END
$$;

COMMENT ON FUNCTION webhooks.record_subscriptions(jsonb) IS
    'internal (webhooks.record): per subscription with failures, count sustained failure, trip, pause on 410, probe cool-down, coalesced message.failed';

/* internal: reached only through webhooks.record */
REVOKE ALL ON FUNCTION webhooks.record_subscriptions(jsonb) FROM PUBLIC;


-- Keeps webhooks.leases small: a finished lease (every message recorded or
-- released) is kept 10 minutes, so that a record repeated after a commit in
-- doubt is still recognised; an abandoned one (its worker died) is kept a
-- day after it expired, so that a late result is still logged with its
-- facts. webhooks.record calls it now and then; returns rows removed.
CREATE OR REPLACE FUNCTION webhooks.clean_leases()
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    removed bigint;
BEGIN
    DELETE FROM webhooks.leases l
     WHERE l.claimed_at < now() - interval '10 minutes'
       AND (l.finished_at < now() - interval '10 minutes' OR l.expires_at < now() - interval '1 day');
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed;
END
$$;

COMMENT ON FUNCTION webhooks.clean_leases() IS
    'delete lease facts finished over 10 minutes ago or abandoned (expired over a day ago); returns how many';

/* housekeeping of the worker API: workers (through record) and operators */
REVOKE ALL ON FUNCTION webhooks.clean_leases() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.clean_leases() TO webhooks_worker, webhooks_admin;

/* operators may read the lease facts and the circuit/alert state when
   investigating (no secrets in either); only the worker API writes them */
GRANT SELECT ON webhooks.leases, webhooks.subscription_health TO webhooks_admin;

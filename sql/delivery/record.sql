-- Records a batch of delivery attempts in one transaction, set-based: one
-- statement logs every attempt and moves every message, a second one updates
-- the subscriptions that need it (failure count, circuit, 410 pause).
--
-- Outcomes (contract §6): 2xx delivered (message deleted); no response, 408,
-- 429 and 5xx retried while the schedule lasts, then failed; any other status
-- failed at once; 410 also pauses the subscription.
-- Retry delay: retry_schedule[attempt] × uniform(0.8, 1.2). A Retry-After
-- (retry_after_s) is honoured within [that jittered delay, 1 day]: it can
-- lengthen the wait up to a day, never shorten it below our schedule.
-- Circuit: consecutive failures (in result order; a success resets the count)
-- reaching circuit_threshold trip an enabled subscription once (enabled =
-- false, auto_disabled_at, probe after webhooks.probe_cooldown, default 1 min);
-- a failed probe doubles the cool-down up to webhooks.probe_cooldown_max
-- (default 1 h); any delivery for a tripped subscription re-enables it through
-- the same path as UPDATE ... SET enabled = true.
-- A result whose lease is no longer this worker's (expired and claimed again,
-- or the message already finished) is logged, with a note in error, and
-- changes nothing else. Returns the number of attempts logged.
CREATE OR REPLACE FUNCTION webhooks.record(worker_id text, results jsonb)
RETURNS int
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    logged int;
    per_subscription jsonb;
    first_cooldown interval := coalesce(nullif(current_setting('webhooks.probe_cooldown', true), ''), '1 min')::interval;
    max_cooldown interval := coalesce(nullif(current_setting('webhooks.probe_cooldown_max', true), ''), '1 hour')::interval;
BEGIN
    IF record.results IS NULL THEN
        RETURN 0;
    END IF;
    IF jsonb_typeof(record.results) <> 'array' THEN
        RAISE EXCEPTION 'results must be a JSON array of attempt objects, not %', jsonb_typeof(record.results)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    WITH r AS (
        SELECT e.ord,
               (e.j->>'message_id')::bigint      AS message_id,
               (e.j->>'attempt')::int            AS attempt,
               (e.j->>'status_code')::int        AS status_code,
               (e.j->>'duration_ms')::int        AS duration_ms,
               e.j->>'error'                     AS error,
               left(e.j->>'response', 1024)      AS response,
               (e.j->>'retry_after_s')::float8   AS retry_after_s,
               (e.j->>'event_id')::uuid          AS hint_event_id,
               (e.j->>'subscription_id')::bigint AS hint_subscription_id,
               CASE WHEN (e.j->>'status_code')::int BETWEEN 200 AND 299 THEN 'ok'
                    WHEN e.j->>'status_code' IS NULL OR (e.j->>'status_code')::int IN (408, 429)
                      OR (e.j->>'status_code')::int BETWEEN 500 AND 599 THEN 'retryable'
                    ELSE 'final' END             AS class
          FROM jsonb_array_elements(record.results) WITH ORDINALITY AS e(j, ord)
    ),
    firsts AS (  -- a message reported twice: the first result counts, the rest are logged
        SELECT DISTINCT ON (r.message_id) r.ord FROM r ORDER BY r.message_id, r.ord
    ),
    c AS MATERIALIZED (  -- results whose lease is ours, classified
        SELECT r.ord, m.id, m.event_id, m.subscription_id, m.attempts + 1 AS attempt, r.status_code, r.error,
               CASE WHEN r.class = 'ok' THEN 'delivered'
                    WHEN r.class = 'retryable' AND m.attempts + 1 <= cardinality(s.retry_schedule) THEN 'retrying'
                    ELSE 'failed' END AS outcome,
               s.retry_schedule[m.attempts + 1] * (0.8 + 0.4 * random()) AS jittered,
               make_interval(secs => r.retry_after_s) AS retry_after
          FROM r
          JOIN firsts f ON f.ord = r.ord
          JOIN webhooks.messages m ON m.id = r.message_id AND m.state = 'pending' AND m.lease_owner = record.worker_id
          JOIN webhooks.subscriptions s ON s.id = m.subscription_id
    ),
    -- The CTEs' row counts are unknown to the planner (it guesses one), so
    -- joins against them become nested loops that rescan a CTE per row:
    -- quadratic in the batch (24 ms for 200 results). Id arrays built once
    -- (ARRAY(...) is an InitPlan) keep every step linear: the PK index finds
    -- the messages, "= ANY" matches in memory. Measured with 200 delivered
    -- results: 24 ms before, see docs/benchmarks.md for after.
    done AS (
        DELETE FROM webhooks.messages m
         WHERE m.id = ANY (ARRAY(SELECT c.id FROM c WHERE c.outcome = 'delivered'))
           AND m.state = 'pending' AND m.lease_owner = record.worker_id
        RETURNING m.id
    ),
    moved AS (
        UPDATE webhooks.messages m
           SET attempts = m.attempts + 1,
               state = CASE WHEN c.outcome = 'failed' THEN 'failed' ELSE 'pending' END,
               next_attempt_at = CASE WHEN c.outcome = 'failed' THEN now()
                                      WHEN c.retry_after IS NULL OR c.retry_after <= c.jittered THEN now() + c.jittered
                                      ELSE now() + least(c.retry_after, interval '1 day') END,
               lease_owner = NULL,
               lease_expires_at = NULL
          FROM c
         WHERE m.id = c.id AND c.outcome <> 'delivered'
           AND m.id = ANY (ARRAY(SELECT c.id FROM c WHERE c.outcome <> 'delivered'))
           AND m.state = 'pending' AND m.lease_owner = record.worker_id
        RETURNING m.id
    ),
    applied AS (
        SELECT c.* FROM c WHERE c.id = ANY (ARRAY(SELECT id FROM done UNION ALL SELECT id FROM moved))
    ),
    log AS (
        INSERT INTO webhooks.deliveries (event_id, subscription_id, attempt, status_code, duration_ms,
                                         outcome, error, response, worker_id)
        SELECT coalesce(a.event_id, m.event_id, r.hint_event_id),
               coalesce(a.subscription_id, m.subscription_id, r.hint_subscription_id),
               coalesce(a.attempt, r.attempt, m.attempts + 1, 0),
               r.status_code,
               r.duration_ms,
               coalesce(a.outcome, CASE r.class WHEN 'ok' THEN 'delivered' WHEN 'retryable' THEN 'retrying' ELSE 'failed' END),
               CASE WHEN a.id IS NOT NULL THEN r.error
                    ELSE concat_ws('; ', r.error, 'late result: the lease was no longer this worker''s, the message was not moved') END,
               r.response,
               record.worker_id
          FROM r
          LEFT JOIN applied a ON a.ord = r.ord
          LEFT JOIN webhooks.messages m ON m.id = r.message_id
         WHERE coalesce(a.event_id, m.event_id, r.hint_event_id) IS NOT NULL
           AND coalesce(a.subscription_id, m.subscription_id, r.hint_subscription_id) IS NOT NULL
        RETURNING 1
    ),
    failed_events AS (  -- contract §7; never about a failed operational event (no alert loops)
        INSERT INTO webhooks.events (event_type, payload, about_subscription_id)
        SELECT 'webhooks.message.failed',
               jsonb_build_object('subscription', s.name, 'subscription_id', s.id, 'message_id', a.id,
                                  'event_id', a.event_id, 'event_type', e.event_type, 'attempts', a.attempt,
                                  'status_code', a.status_code, 'error', a.error),
               a.subscription_id
          FROM applied a
          JOIN webhooks.subscriptions s ON s.id = a.subscription_id
          JOIN webhooks.events e ON e.id = a.event_id
         WHERE a.outcome = 'failed' AND e.event_type NOT LIKE 'webhooks.%'
           AND EXISTS (SELECT FROM webhooks.event_types t WHERE t.name = 'webhooks.message.failed')
         ORDER BY a.ord
    ),
    per_sub AS (
        SELECT a.subscription_id,
               count(*) FILTER (WHERE a.outcome <> 'delivered')                     AS failures,
               count(*) FILTER (WHERE a.outcome = 'delivered')                      AS successes,
               count(*) FILTER (WHERE a.outcome <> 'delivered' AND a.ord > a.last_ok) AS failures_after,
               (array_agg(CASE WHEN a.status_code IS NULL THEN coalesce(a.error, 'no response')
                               ELSE concat_ws(': ', 'HTTP ' || a.status_code, a.error) END
                          ORDER BY a.ord DESC) FILTER (WHERE a.outcome <> 'delivered'))[1] AS last_error,
               bool_or(a.status_code = 410)                                         AS gone,
               coalesce(array_agg(a.id) FILTER (WHERE a.outcome <> 'delivered'), '{}') AS failed_ids
          FROM (SELECT ap.*, coalesce(max(ap.ord) FILTER (WHERE ap.outcome = 'delivered')
                                      OVER (PARTITION BY ap.subscription_id), 0) AS last_ok
                  FROM applied ap) a
         GROUP BY a.subscription_id
    )
    SELECT (SELECT count(*) FROM log),
           (SELECT jsonb_agg(to_jsonb(p)) FROM per_sub p WHERE p.failures > 0 OR p.successes > 0)
      INTO logged, per_subscription;

    IF per_subscription IS NOT NULL THEN
        -- Lock in id order (no deadlock between two recorders), only the rows
        -- that change: a batch of successes for a healthy subscription writes
        -- nothing here and so never waits for a claim.
        WITH a AS (
            SELECT * FROM jsonb_to_recordset(per_subscription) AS a(
                subscription_id bigint, failures int, successes int, failures_after int,
                last_error text, gone boolean, failed_ids bigint[])
        ),
        cur AS MATERIALIZED (
            SELECT s.id, s.enabled, s.circuit_threshold, s.probe_cooldown, s.probe_message_id, s.last_error,
                   NOT s.enabled AND s.auto_disabled_at IS NOT NULL AS tripped,
                   CASE WHEN a.successes > 0 THEN a.failures_after
                        ELSE s.consecutive_failures + a.failures END AS failures,
                   a.successes, a.gone, a.last_error AS new_error,
                   s.probe_message_id = ANY (a.failed_ids) AS probe_failed
              FROM webhooks.subscriptions s
              JOIN a ON a.subscription_id = s.id
             WHERE a.failures > 0 OR s.consecutive_failures <> 0 OR NOT s.enabled
             ORDER BY s.id
               FOR NO KEY UPDATE OF s
        ),
        v AS (
            SELECT cur.*,
                   CASE WHEN cur.gone THEN 'pause'
                        WHEN cur.tripped AND cur.successes > 0 THEN 'recover'
                        WHEN cur.tripped AND cur.probe_failed THEN 'probe_failed'
                        WHEN cur.enabled AND cur.failures >= cur.circuit_threshold THEN 'trip'
                        ELSE 'count' END AS action
              FROM cur
        )
        UPDATE webhooks.subscriptions s
           SET consecutive_failures = v.failures,
               last_error = CASE WHEN v.action = 'pause'
                                 THEN 'paused: the receiver answered 410 Gone (' || coalesce(v.new_error, 'HTTP 410') || ')'
                                 ELSE coalesce(v.new_error, v.last_error) END,
               -- 'recover' goes through the re-enable path of the validate trigger
               enabled = CASE v.action WHEN 'pause' THEN false WHEN 'recover' THEN true
                                       WHEN 'trip' THEN false ELSE s.enabled END,
               auto_disabled_at = CASE v.action WHEN 'pause' THEN NULL WHEN 'trip' THEN now()
                                                ELSE s.auto_disabled_at END,
               probe_cooldown = CASE v.action WHEN 'pause' THEN NULL WHEN 'trip' THEN first_cooldown
                                    WHEN 'probe_failed' THEN least(coalesce(v.probe_cooldown, first_cooldown) * 2, max_cooldown)
                                    ELSE s.probe_cooldown END,
               probe_at = CASE v.action WHEN 'pause' THEN NULL WHEN 'trip' THEN now() + first_cooldown
                              WHEN 'probe_failed' THEN now() + least(coalesce(v.probe_cooldown, first_cooldown) * 2, max_cooldown)
                              ELSE s.probe_at END,
               probe_message_id = CASE WHEN v.action = 'count' THEN s.probe_message_id END
          FROM v
         WHERE s.id = v.id;
    END IF;

    RETURN logged;
END
$$;

COMMENT ON FUNCTION webhooks.record(text, jsonb) IS
    'worker API: log a batch of attempts (JSON array) and move each message: delivered, retried on the jittered schedule, or failed; counts failures and trips circuits';

/* recording outcomes moves messages and trips circuits: workers and operators only */
REVOKE ALL ON FUNCTION webhooks.record(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.record(text, jsonb) TO webhooks_worker, webhooks_admin;

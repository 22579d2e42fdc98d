-- One row per subscription for the operator (contract §4); never a secret,
-- and the URL with its credentials and query values redacted (contract §9).
-- p50/p95 are rounded to 0.1 ms for people (percentile_cont interpolates:
-- 39.499999999999986 said nothing 39.5 does not).
-- warnings: 'insecure_url' (http://), 'matches_no_event_type' (no registered
-- event type matches any of its patterns: a typo, or types not yet registered).
-- pending counts events published for it that the next claim turns into
-- messages (webhooks.fan_out_queue) with its pending and held messages.
CREATE OR REPLACE VIEW webhooks.subscription_status AS
SELECT s.name,
       webhooks.redact_url(s.url)                                   AS url,
       CASE WHEN s.enabled THEN 'active'
            WHEN s.auto_disabled_at IS NOT NULL THEN 'tripped'
            ELSE 'paused' END                                        AS state,
       array_remove(ARRAY[CASE WHEN s.url ~* '^http://' THEN 'insecure_url' END,
                          CASE WHEN NOT EXISTS (SELECT FROM webhooks.routes r WHERE r.subscription_id = s.id)
                               THEN 'matches_no_event_type' END], NULL) AS warnings,
       s.consecutive_failures,
       s.last_error,
       s.auto_disabled_at,
       coalesce(m.pending, 0) + coalesce(q.queued, 0)               AS pending,
       coalesce(m.failed, 0)                                        AS failed,
       coalesce(d.delivered_24h, 0)                                 AS delivered_24h,
       coalesce(d.failed_attempts_24h, 0)                           AS failed_attempts_24h,
       round(d.p50_ms_24h::numeric, 1)                              AS p50_ms_24h,
       round(d.p95_ms_24h::numeric, 1)                              AS p95_ms_24h,
       d.last_success_at
  FROM webhooks.subscriptions s
  LEFT JOIN LATERAL (
        SELECT count(*) FILTER (WHERE state = 'pending') AS pending,
               count(*) FILTER (WHERE state = 'failed')  AS failed
          FROM webhooks.messages WHERE subscription_id = s.id) m ON true
  LEFT JOIN LATERAL (  -- published, not yet turned into messages (webhooks.fan_out_queue)
        SELECT count(*) AS queued FROM webhooks.fan_out_queue WHERE s.id = ANY (subscription_ids)) q ON true
  LEFT JOIN LATERAL (
        SELECT count(*) FILTER (WHERE outcome = 'delivered')  AS delivered_24h,
               count(*) FILTER (WHERE outcome <> 'delivered') AS failed_attempts_24h,
               percentile_cont(0.5)  WITHIN GROUP (ORDER BY duration_ms) FILTER (WHERE outcome = 'delivered') AS p50_ms_24h,
               percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) FILTER (WHERE outcome = 'delivered') AS p95_ms_24h,
               max(attempted_at) FILTER (WHERE outcome = 'delivered') AS last_success_at
          FROM webhooks.deliveries
         WHERE subscription_id = s.id AND attempted_at > now() - interval '24 hours') d ON true;

COMMENT ON VIEW webhooks.subscription_status IS
    'per subscription: state (active/paused/tripped), warnings, failures, pending and failed messages, last 24 hours of deliveries; URL redacted, no secret';

-- One row per subscription for the operator (contract §4); never a secret.
CREATE OR REPLACE VIEW webhooks.subscription_status AS
SELECT s.name,
       s.url,
       CASE WHEN s.enabled THEN 'active'
            WHEN s.auto_disabled_at IS NOT NULL THEN 'tripped'
            ELSE 'paused' END                                        AS state,
       CASE WHEN s.url ~* '^http://' THEN ARRAY['insecure_url'] ELSE '{}'::text[] END AS warnings,
       s.consecutive_failures,
       s.last_error,
       s.auto_disabled_at,
       coalesce(m.pending, 0)                                       AS pending,
       coalesce(m.failed, 0)                                        AS failed,
       coalesce(d.delivered_24h, 0)                                 AS delivered_24h,
       coalesce(d.failed_attempts_24h, 0)                           AS failed_attempts_24h,
       d.p50_ms_24h,
       d.p95_ms_24h,
       d.last_success_at
  FROM webhooks.subscriptions s
  LEFT JOIN LATERAL (
        SELECT count(*) FILTER (WHERE state = 'pending') AS pending,
               count(*) FILTER (WHERE state = 'failed')  AS failed
          FROM webhooks.messages WHERE subscription_id = s.id) m ON true
  LEFT JOIN LATERAL (
        SELECT count(*) FILTER (WHERE outcome = 'delivered')  AS delivered_24h,
               count(*) FILTER (WHERE outcome <> 'delivered') AS failed_attempts_24h,
               percentile_cont(0.5)  WITHIN GROUP (ORDER BY duration_ms) FILTER (WHERE outcome = 'delivered') AS p50_ms_24h,
               percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) FILTER (WHERE outcome = 'delivered') AS p95_ms_24h,
               max(attempted_at) FILTER (WHERE outcome = 'delivered') AS last_success_at
          FROM webhooks.deliveries
         WHERE subscription_id = s.id AND attempted_at > now() - interval '24 hours') d ON true;

COMMENT ON VIEW webhooks.subscription_status IS
    'per subscription: state (active/paused/tripped), warnings, failures, pending and failed messages, last 24 hours of deliveries';

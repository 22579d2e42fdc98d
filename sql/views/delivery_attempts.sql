-- One row per delivery attempt (webhooks.deliveries), with the names people
-- search by: the subscription's name (NULL once it was deleted) and the
-- event's type (NULL once the event was purged).
CREATE OR REPLACE VIEW webhooks.delivery_attempts AS
SELECT d.id,
       d.attempted_at,
       s.name                                                     AS subscription,
       e.event_type,
       d.event_id,
       d.attempt,
       d.outcome,
       d.status_code,
       d.duration_ms,
       d.error,
       d.response,
       d.worker_id,
       d.subscription_id
  FROM webhooks.deliveries d
  LEFT JOIN webhooks.subscriptions s ON s.id = d.subscription_id
  LEFT JOIN webhooks.events e ON e.id = d.event_id;

COMMENT ON VIEW webhooks.delivery_attempts IS
    'one row per delivery attempt with the subscription''s name and the event type: outcome, status code, duration, error, first KiB of the response';

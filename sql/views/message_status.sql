-- One row per message still in the outbox, for people: what is pending for a
-- subscription, when each is tried next, why one failed (issue 11). Delivered
-- messages leave the outbox; their story is in webhooks.delivery_attempts.
-- state: 'pending' (will be tried at next_attempt_at), 'held' (pending, but
-- its subscription is paused or tripped: kept, not tried until it is enabled
-- or probed), 'failed' (ended without delivery; webhooks.replay requeues it).
-- The last attempt is that of this event to this subscription.
-- An event published a moment ago may not be a message yet: it waits in
-- webhooks.fan_out_queue until the next claim. Such rows show here too,
-- without a message_id, as 'pending' (due since publishing) or 'held'.
CREATE OR REPLACE VIEW webhooks.message_status AS
SELECT m.id                                                       AS message_id,
       s.name                                                     AS subscription,
       e.event_type,
       m.event_id,
       CASE WHEN m.state = 'failed' THEN 'failed'
            WHEN s.enabled THEN 'pending'
            ELSE 'held' END                                       AS state,
       m.attempts,
       CASE WHEN m.state = 'pending' AND s.enabled THEN m.next_attempt_at END AS next_attempt_at,
       e.created_at                                               AS published_at,
       d.attempted_at                                             AS last_attempt_at,
       d.status_code                                              AS last_status_code,
       d.error                                                    AS last_error,
       m.subscription_id
  FROM webhooks.messages m
  JOIN webhooks.subscriptions s ON s.id = m.subscription_id
  JOIN webhooks.events e ON e.id = m.event_id
  LEFT JOIN LATERAL (
        SELECT x.attempted_at, x.status_code, x.error
          FROM webhooks.deliveries x
         WHERE x.event_id = m.event_id AND x.subscription_id = m.subscription_id
         ORDER BY x.attempted_at DESC, x.id DESC
         LIMIT 1) d ON true
UNION ALL
SELECT NULL::bigint, s.name, e.event_type, q.event_id,
       CASE WHEN s.enabled THEN 'pending' ELSE 'held' END,
       0, CASE WHEN s.enabled THEN q.published_at END, q.published_at,
       NULL::timestamptz, NULL::int, NULL::text, s.id
  FROM webhooks.fan_out_queue q
 CROSS JOIN LATERAL unnest(q.subscription_ids) AS u(subscription_id)
  JOIN webhooks.subscriptions s ON s.id = u.subscription_id
  JOIN webhooks.events e ON e.id = q.event_id;

COMMENT ON VIEW webhooks.message_status IS
    'one row per message in the outbox: subscription name, event type, state (pending/held/failed), attempts, next attempt, last status and error';

-- One row per registered event type: how many subscriptions receive it now
-- and, over the last 24 hours, how many events were published and how many of
-- them reached no subscriber (issue 11: events that match no pattern vanish
-- silently otherwise, so a typo in a pattern shows here as a type with
-- no_subscriber_24h > 0 and subscribers = 0).
-- "Reached no subscriber": the event has neither a message in the outbox nor
-- a delivery attempt, nor waits in webhooks.fan_out_queue. A message dropped with webhooks.discard_pending before
-- any attempt counts too. Reads the last 24 hours of webhooks.events (index
-- events_created_at) with one index probe per event into messages and
-- deliveries: meant for people, not for a dashboard polling every second.
CREATE OR REPLACE VIEW webhooks.event_type_status AS
SELECT t.name                                                     AS event_type,
       t.description,
       (SELECT count(*) FROM webhooks.routes r WHERE r.event_type = t.name) AS subscribers,
       coalesce(e.published_24h, 0)                               AS published_24h,
       coalesce(e.no_subscriber_24h, 0)                           AS no_subscriber_24h,
       e.last_published_at
  FROM webhooks.event_types t
  LEFT JOIN (
        SELECT ev.event_type,
               count(*)                                           AS published_24h,
               count(*) FILTER (WHERE NOT EXISTS (SELECT FROM webhooks.messages m WHERE m.event_id = ev.id)
                                  AND NOT EXISTS (SELECT FROM webhooks.deliveries d WHERE d.event_id = ev.id)
                                  AND ev.id NOT IN (SELECT q.event_id FROM webhooks.fan_out_queue q))
                                                                  AS no_subscriber_24h,
               max(ev.created_at)                                 AS last_published_at
          FROM webhooks.events ev
         WHERE ev.created_at > now() - interval '24 hours'
         GROUP BY ev.event_type) e ON e.event_type = t.name;

COMMENT ON VIEW webhooks.event_type_status IS
    'per event type: subscribers now; events published in the last 24 hours and how many reached no subscriber (a typo in a pattern shows here)';

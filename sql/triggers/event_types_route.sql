-- A newly registered event type gets routes to every subscription with a
-- matching pattern (one pass over the subscriptions, at registration time,
-- so that publishing never has to).
CREATE OR REPLACE FUNCTION webhooks.tg_event_types__route()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO webhooks.routes (event_type, subscription_id)
    SELECT n.name, s.id
      FROM new_types n
      JOIN webhooks.subscriptions s
        ON EXISTS (SELECT FROM unnest(s.event_types) p WHERE webhooks.pattern_matches(p, n.name))
     WHERE n.name <> 'webhooks.ping'  -- a ping goes only to the subscription it names (ping.sql)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER _100_route
    AFTER INSERT ON webhooks.event_types
    REFERENCING NEW TABLE AS new_types
    FOR EACH STATEMENT EXECUTE FUNCTION webhooks.tg_event_types__route();

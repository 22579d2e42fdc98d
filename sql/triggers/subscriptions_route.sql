-- Recomputes a subscription's routes when it is created or its patterns change.
-- webhooks.ping is never routed by pattern: a ping goes only to the
-- subscription it names (sql/functions/ping.sql), even one subscribed to '>'.
CREATE OR REPLACE FUNCTION webhooks.tg_subscriptions__route()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM webhooks.routes WHERE subscription_id = NEW.id;
    END IF;
    INSERT INTO webhooks.routes (event_type, subscription_id)
    SELECT t.name, NEW.id
      FROM webhooks.event_types t
     WHERE EXISTS (SELECT FROM unnest(NEW.event_types) p WHERE webhooks.pattern_matches(p, t.name))
       AND t.name <> 'webhooks.ping';
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER _200_route
    AFTER INSERT OR UPDATE OF event_types ON webhooks.subscriptions
    FOR EACH ROW EXECUTE FUNCTION webhooks.tg_subscriptions__route();

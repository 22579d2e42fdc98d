-- Fan-out at publish: one message per routed subscription, in one set-based
-- statement per INSERT statement, and one NOTIFY per statement that created
-- messages (a per-row NOTIFY would serialise committing publishers).
-- Only events published now are fanned out: a row that arrives with another
-- created_at is history being restored (pg_restore of a backup brings its
-- own messages), and sending it again would repeat old deliveries.
CREATE OR REPLACE FUNCTION webhooks.tg_events__fan_out()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    created bigint;
BEGIN
    INSERT INTO webhooks.messages (event_id, subscription_id)
    SELECT e.id, r.subscription_id
      FROM new_events e
      JOIN webhooks.routes r ON r.event_type = e.event_type
     WHERE r.subscription_id IS DISTINCT FROM e.about_subscription_id
       AND e.created_at = now();
    GET DIAGNOSTICS created = ROW_COUNT;
    IF created > 0 THEN
        PERFORM pg_notify('webhooks', '');
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER _200_fan_out
    AFTER INSERT ON webhooks.events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION webhooks.tg_events__fan_out();

-- Event types in plain words (issue 11): a name that breaks the format is
-- refused with the rule itself, not a constraint name; a type that published
-- events cannot be renamed (they and their messages name it), and renaming an
-- unused one moves its routes along; deleting a type that events use is
-- refused (events.event_type has no foreign key, see sql/schema/events.sql).
-- A DELETE first takes SHARE on webhooks.events, waiting for publishers in
-- flight (they hold ROW EXCLUSIVE through their commit), so an event being
-- published of the type is seen; publishers after it find the type gone.
-- The CHECK constraint stays the backstop.
-- Audit (SECURITY DEFINER): text values of the extension's own table only.
CREATE OR REPLACE FUNCTION webhooks.tg_event_types__validate()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        LOCK TABLE webhooks.events IN SHARE MODE;
        IF EXISTS (SELECT FROM webhooks.events e WHERE e.event_type = OLD.name) THEN
            RAISE EXCEPTION 'event type "%" is in use and cannot be deleted: published events name it', OLD.name
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF NEW.name IS NULL OR NOT webhooks.is_valid_event_type_name(NEW.name) THEN
        RAISE EXCEPTION 'invalid event type name "%": lower-case dot-separated segments of [a-z0-9_-] (e.g. order.created), at most 128 characters', NEW.name
            USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.name IS DISTINCT FROM OLD.name THEN
        IF EXISTS (SELECT FROM webhooks.events e WHERE e.event_type = OLD.name) THEN
            RAISE EXCEPTION 'event type "%" is in use and cannot be renamed: published events name it', OLD.name
                USING ERRCODE = 'dependent_objects_still_exist',
                      HINT = format('register the new name instead: INSERT INTO webhooks.event_types (name) VALUES (%L);', NEW.name);
        END IF;
        DELETE FROM webhooks.routes r WHERE r.event_type = OLD.name;  -- recomputed after the rename
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER _050_validate
    BEFORE INSERT OR UPDATE OR DELETE ON webhooks.event_types
    FOR EACH ROW EXECUTE FUNCTION webhooks.tg_event_types__validate();

-- Routes of a renamed (unused) event type, like those of a new one.
CREATE OR REPLACE FUNCTION webhooks.tg_event_types__reroute()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO webhooks.routes (event_type, subscription_id)
    SELECT NEW.name, s.id
      FROM webhooks.subscriptions s
     WHERE EXISTS (SELECT FROM unnest(s.event_types) p WHERE webhooks.pattern_matches(p, NEW.name))
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER _110_reroute
    AFTER UPDATE OF name ON webhooks.event_types
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION webhooks.tg_event_types__reroute();

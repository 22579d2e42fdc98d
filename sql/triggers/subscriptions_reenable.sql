-- "enabled = true" has one meaning whoever writes it (an operator in psql or
-- a successful probe): re-enabling after a trip and resuming after a pause
-- both clear the failure state, and the held messages are due at once.
CREATE OR REPLACE FUNCTION webhooks.tg_subscriptions__reenable()
RETURNS trigger
LANGUAGE plpgsql
SET search_path TO pg_catalog, pg_temp
AS $$
BEGIN
    NEW.auto_disabled_at := NULL;
    NEW.consecutive_failures := 0;
    NEW.last_error := NULL;
    NEW.probe_at := NULL;
    NEW.probe_cooldown := NULL;
    PERFORM pg_notify('webhooks', '');
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER _110_reenable
    BEFORE UPDATE OF enabled ON webhooks.subscriptions
    FOR EACH ROW WHEN (NEW.enabled AND NOT OLD.enabled)
    EXECUTE FUNCTION webhooks.tg_subscriptions__reenable();

-- updated_at follows what the operator configures, not the worker's bookkeeping.
CREATE OR REPLACE FUNCTION webhooks.tg_subscriptions__touch()
RETURNS trigger
LANGUAGE plpgsql
SET search_path TO pg_catalog, pg_temp
AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER _120_touch
    BEFORE UPDATE OF name, url, event_types, secret, enabled, retry_schedule, timeout,
                     max_in_flight, circuit_threshold, headers ON webhooks.subscriptions
    FOR EACH ROW EXECUTE FUNCTION webhooks.tg_subscriptions__touch();

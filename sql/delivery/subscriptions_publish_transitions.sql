-- Publishes webhooks.subscription.tripped and .recovered (contract §7) when a
-- subscription's circuit changes state, whoever changes it: webhooks.record
-- tripping it or a probe re-enabling it, or an operator's UPDATE ... SET
-- enabled = true. One event per transition; about_subscription_id keeps it
-- from the subscription it is about. URLs are shown redacted (credentials
-- and query values hidden, contract §9); the tripped event carries the last
-- failed response's status and first bytes (subscription_health).
-- webhooks.subscription.paused (410 Gone) is published by webhooks.record,
-- since an operator's pause is the same transition and publishes nothing.
CREATE OR REPLACE FUNCTION webhooks.tg_subscriptions__publish_transitions()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    kind text;
    payload jsonb;
BEGIN
    IF OLD.enabled AND NOT NEW.enabled AND NEW.auto_disabled_at IS NOT NULL THEN
        kind := 'webhooks.subscription.tripped';
        payload := jsonb_build_object('subscription', NEW.name, 'subscription_id', NEW.id,
                                      'url', webhooks.redact_url(NEW.url),
                                      'consecutive_failures', NEW.consecutive_failures, 'last_error', NEW.last_error,
                                      'last_status_code', (SELECT h.last_status_code FROM webhooks.subscription_health h
                                                            WHERE h.subscription_id = NEW.id),
                                      'last_response', (SELECT left(h.last_response, 256) FROM webhooks.subscription_health h
                                                         WHERE h.subscription_id = NEW.id),
                                      'auto_disabled_at', NEW.auto_disabled_at, 'probe_at', NEW.probe_at);
    ELSIF NOT OLD.enabled AND OLD.auto_disabled_at IS NOT NULL AND NEW.enabled THEN
        kind := 'webhooks.subscription.recovered';
        payload := jsonb_build_object('subscription', NEW.name, 'subscription_id', NEW.id,
                                      'url', webhooks.redact_url(NEW.url), 'tripped_at', OLD.auto_disabled_at);
    ELSE
        RETURN NULL;
    END IF;
    -- an operator who unregistered the type has opted out; never fail the UPDATE for it
    IF EXISTS (SELECT FROM webhooks.event_types t WHERE t.name = kind) THEN
        PERFORM webhooks.store_event(kind, payload, NULL, NEW.id);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER _300_publish_transitions
    AFTER UPDATE OF enabled ON webhooks.subscriptions
    FOR EACH ROW WHEN (OLD.enabled IS DISTINCT FROM NEW.enabled)
    EXECUTE FUNCTION webhooks.tg_subscriptions__publish_transitions();

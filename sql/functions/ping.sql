-- webhooks.ping(subscription): an operator's test event, sent to that one
-- subscription now, whatever its patterns (issue 11). The event type
-- webhooks.ping is the extension's own and is never routed by pattern (see
-- tg_subscriptions__route), so a subscription to '>' or 'webhooks.>' does
-- not receive other subscriptions' pings; ping queues the one message
-- itself. A paused or tripped subscription is refused with an error rather
-- than holding the ping until it is enabled: a test that would be sent
-- later is no test (enable it, or let the circuit's probe run).
INSERT INTO webhooks.event_types (name, description) VALUES
    ('webhooks.ping', 'a test event sent by webhooks.ping(subscription) to that subscription only; payload: subscription, requested_at, note')
ON CONFLICT (name) DO NOTHING;
-- registering the type routed it to subscriptions of '>' (upgrade from 0.1.0)
DELETE FROM webhooks.routes WHERE event_type = 'webhooks.ping';

CREATE OR REPLACE FUNCTION webhooks.ping(subscription text)
RETURNS uuid
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    target webhooks.subscriptions%ROWTYPE;
    target_id bigint;
    new_event uuid;
BEGIN
    target_id := webhooks.subscription_id(ping.subscription);  -- the error names an unknown subscription
    SELECT s.* INTO target FROM webhooks.subscriptions s WHERE s.id = target_id;
    IF NOT target.enabled THEN
        RAISE EXCEPTION 'subscription "%" is %: a ping would wait until it is enabled', target.name,
                CASE WHEN target.auto_disabled_at IS NOT NULL THEN 'tripped' ELSE 'paused' END
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = format('UPDATE webhooks.subscriptions SET enabled = true WHERE name = %L; then ping again', target.name);
    END IF;
    -- webhooks.ping is never routed by pattern: store_event queues nothing for
    -- it, and its one message is made here, for this subscription alone
    new_event := webhooks.store_event('webhooks.ping',
                                      jsonb_build_object('subscription', target.name, 'requested_at', now(),
                                                         'note', 'a test event sent by webhooks.ping; no action needed'),
                                      NULL);
    INSERT INTO webhooks.messages (event_id, subscription_id) VALUES (new_event, target.id);
    PERFORM pg_notify('webhooks', '');
    RETURN new_event;
END
$$;

COMMENT ON FUNCTION webhooks.ping(text) IS
    'send a webhooks.ping test event to that subscription only, now; returns the event id (see webhooks.message_status / webhooks.delivery_attempts)';

/* an operator's verb: it writes to the outbox as the extension owner */
REVOKE ALL ON FUNCTION webhooks.ping(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.ping(text) TO webhooks_admin;

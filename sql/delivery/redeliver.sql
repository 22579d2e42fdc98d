-- Sends one event again: to the named subscription, which must be one whose
-- patterns match the event's type (contract §9: a payload never reaches a
-- receiver that did not ask for it), or (NULL) to every subscription it was
-- sent or queued for. A failed message is requeued with a
-- fresh schedule, a message still pending is left as it is (it is on its
-- way), a finished one gets a new message. Never to the subscription an
-- operational event is about. Queued events are turned into messages first
-- (webhooks.fan_out_queued), so an event published a moment ago is not sent
-- twice. Returns the number of messages queued.
CREATE OR REPLACE FUNCTION webhooks.redeliver(event_id uuid, subscription text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    about bigint;
    etype text;
    target bigint;
    requeued bigint;
    added bigint;
BEGIN
    SELECT e.about_subscription_id, e.event_type INTO about, etype FROM webhooks.events e WHERE e.id = redeliver.event_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown event %', redeliver.event_id USING ERRCODE = 'no_data_found';
    END IF;
    PERFORM webhooks.fan_out_queued();
    IF redeliver.subscription IS NOT NULL THEN
        target := webhooks.subscription_id(redeliver.subscription);
        IF target = about THEN
            RAISE EXCEPTION 'event % is an operational event about subscription "%" and is never sent to it',
                redeliver.event_id, redeliver.subscription USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF NOT EXISTS (SELECT FROM webhooks.subscriptions s, unnest(s.event_types) p(pattern)
                        WHERE s.id = target AND webhooks.pattern_matches(p.pattern, etype)) THEN
            RAISE EXCEPTION 'subscription "%" does not subscribe to event type "%" (event %)',
                redeliver.subscription, etype, redeliver.event_id
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'redeliver sends only to subscriptions whose event_types patterns match the event''s type';
        END IF;
    END IF;

    WITH targets AS (
        SELECT target AS id WHERE target IS NOT NULL
        UNION
        SELECT d.subscription_id FROM webhooks.deliveries d WHERE d.event_id = redeliver.event_id AND target IS NULL
        UNION
        SELECT m.subscription_id FROM webhooks.messages m WHERE m.event_id = redeliver.event_id AND target IS NULL
    ),
    live AS (  -- deleted subscriptions and the one it is about are not targets
        SELECT t.id FROM targets t
         WHERE EXISTS (SELECT FROM webhooks.subscriptions s WHERE s.id = t.id)
           AND t.id IS DISTINCT FROM about
    ),
    requeue AS (
        UPDATE webhooks.messages m
           SET state = 'pending', attempts = 0, next_attempt_at = now(), lease_owner = NULL, lease_expires_at = NULL
         WHERE m.event_id = redeliver.event_id AND m.state = 'failed' AND m.subscription_id IN (SELECT id FROM live)
        RETURNING m.subscription_id
    ),
    add AS (
        INSERT INTO webhooks.messages (event_id, subscription_id)
        SELECT redeliver.event_id, l.id FROM live l
         WHERE NOT EXISTS (SELECT FROM webhooks.messages m WHERE m.event_id = redeliver.event_id AND m.subscription_id = l.id)
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM requeue), (SELECT count(*) FROM add) INTO requeued, added;

    IF requeued + added > 0 THEN
        PERFORM pg_notify('webhooks', '');
    END IF;
    RETURN requeued + added;
END
$$;

COMMENT ON FUNCTION webhooks.redeliver(uuid, text) IS
    'send an event again, to the named subscription or to all it went to; returns the number of messages queued';

/* an operator's decision */
REVOKE ALL ON FUNCTION webhooks.redeliver(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.redeliver(uuid, text) TO webhooks_admin;

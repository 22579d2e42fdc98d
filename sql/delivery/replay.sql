-- Requeues a subscription's failed messages whose event was published at or
-- after `since`, with a fresh retry schedule (attempts start again at 1).
-- They are due at once, or held if the subscription is paused or tripped.
CREATE OR REPLACE FUNCTION webhooks.replay(subscription text, since timestamptz DEFAULT '-infinity')
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    sub_id bigint := webhooks.subscription_id(replay.subscription);
    requeued bigint;
BEGIN
    IF replay.since IS NULL THEN
        RAISE EXCEPTION 'since may not be NULL (the default, ''-infinity'', replays everything)'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE webhooks.messages m
       SET state = 'pending', attempts = 0, next_attempt_at = now(), lease_owner = NULL, lease_expires_at = NULL
     WHERE m.subscription_id = sub_id AND m.state = 'failed' AND m.created_at >= replay.since;
    GET DIAGNOSTICS requeued = ROW_COUNT;
    IF requeued > 0 THEN
        PERFORM pg_notify('webhooks', '');
    END IF;
    RETURN requeued;
END
$$;

COMMENT ON FUNCTION webhooks.replay(text, timestamptz) IS
    'requeue the named subscription''s failed messages published since then, with a fresh retry schedule; returns how many';

/* an operator's decision */
REVOKE ALL ON FUNCTION webhooks.replay(text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.replay(text, timestamptz) TO webhooks_admin;

-- The id of the subscription an operator named, or a clear error: the admin
-- functions all take the operator's handle, not the id.
CREATE OR REPLACE FUNCTION webhooks.subscription_id(name text)
RETURNS bigint
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    found bigint;
BEGIN
    SELECT s.id INTO found FROM webhooks.subscriptions s WHERE s.name = subscription_id.name;
    IF found IS NULL THEN
        RAISE EXCEPTION 'unknown subscription "%"', subscription_id.name
            USING ERRCODE = 'no_data_found',
                  HINT = 'SELECT name FROM webhooks.subscriptions; lists them';
    END IF;
    RETURN found;
END
$$;

COMMENT ON FUNCTION webhooks.subscription_id(text) IS
    'the id of the named subscription; raises an error naming it if there is none';

/* a lookup for the admin functions; operators may use it too */
REVOKE ALL ON FUNCTION webhooks.subscription_id(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.subscription_id(text) TO webhooks_admin;

-- Gives a subscription a fresh secret and returns it (contract §4). For the
-- grace period every request is signed with both the new and the old secret,
-- so the receiver can switch over at leisure; a zero grace drops the old one
-- at once. Rotating again within a grace period keeps only the newest two.
CREATE OR REPLACE FUNCTION webhooks.rotate_secret(name text, grace interval DEFAULT '24 hours')
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    sub_id bigint := webhooks.subscription_id(rotate_secret.name);
    fresh text := webhooks.generate_secret();
BEGIN
    IF rotate_secret.grace IS NULL OR rotate_secret.grace < interval '0' THEN
        RAISE EXCEPTION 'grace must be a non-negative interval, not %', coalesce(rotate_secret.grace::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE webhooks.subscriptions s
       SET previous_secret = CASE WHEN rotate_secret.grace > interval '0' THEN s.secret END,
           previous_secret_expires_at = CASE WHEN rotate_secret.grace > interval '0' THEN now() + rotate_secret.grace END,
           secret = fresh
     WHERE s.id = sub_id;
    RETURN fresh;
END
$$;

COMMENT ON FUNCTION webhooks.rotate_secret(text, interval) IS
    'give the named subscription a new secret and return it; the old one keeps signing for the grace period';

/* secrets are the operator's alone */
REVOKE ALL ON FUNCTION webhooks.rotate_secret(text, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.rotate_secret(text, interval) TO webhooks_admin;

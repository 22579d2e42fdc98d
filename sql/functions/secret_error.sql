-- Why a supplied signing secret is unacceptable, or NULL: whsec_ followed by
-- the base64 of 24 to 64 bytes (contract §4).
CREATE OR REPLACE FUNCTION webhooks.secret_error(secret text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    key_bytes int;
BEGIN
    IF secret IS NULL OR left(secret, 6) <> 'whsec_' THEN
        RETURN 'secret must start with "whsec_" followed by base64 of 24 to 64 random bytes';
    END IF;
    IF substr(secret, 7) !~ '^[A-Za-z0-9+/]+={0,2}$' THEN
        RETURN 'secret is not valid base64 after "whsec_"';
    END IF;
    BEGIN
        key_bytes := length(decode(substr(secret, 7), 'base64'));
    EXCEPTION WHEN invalid_parameter_value THEN
        RETURN 'secret is not valid base64 after "whsec_"';
    END;
    IF key_bytes NOT BETWEEN 24 AND 64 THEN
        RETURN format('secret decodes to %s bytes; it must be 24 to 64', key_bytes);
    END IF;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION webhooks.secret_error(text) IS
    'NULL when secret is whsec_ + base64 of 24..64 bytes, else a message saying why not';

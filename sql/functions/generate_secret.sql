-- A fresh signing secret: whsec_ + base64 of 32 random bytes.
-- pgcrypto may live in any schema (CREATE EXTENSION ... CASCADE puts it in
-- webhooks, a managed database may have it in public), so find it instead of
-- relying on search_path.
CREATE OR REPLACE FUNCTION webhooks.generate_secret()
RETURNS text
LANGUAGE plpgsql VOLATILE
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    crypto_schema name;
    key bytea;
BEGIN
    SELECT n.nspname INTO crypto_schema
      FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'pgcrypto';
    IF crypto_schema IS NULL THEN
        RAISE EXCEPTION 'pg_webhooks needs the pgcrypto extension to generate secrets'
            USING HINT = 'CREATE EXTENSION pgcrypto;';
    END IF;
    EXECUTE format('SELECT %I.gen_random_bytes(32)', crypto_schema) INTO key;
    RETURN 'whsec_' || encode(key, 'base64');
END
$$;

COMMENT ON FUNCTION webhooks.generate_secret() IS
    'a fresh signing secret: whsec_ + base64 of 32 random bytes (pgcrypto)';

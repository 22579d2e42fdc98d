-- Lower-case dot-separated segments of [a-z0-9_-]+, at most 128 characters (contract §3).
CREATE OR REPLACE FUNCTION webhooks.is_valid_event_type_name(name text)
RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
RETURN length(name) <= 128 AND name ~ '^[a-z0-9_-]+(\.[a-z0-9_-]+)*$';

COMMENT ON FUNCTION webhooks.is_valid_event_type_name(text) IS
    'true when name is a valid event type: lower-case dot-separated segments of [a-z0-9_-], at most 128 characters';

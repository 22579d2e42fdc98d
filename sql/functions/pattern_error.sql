-- Why a subscription pattern is invalid, or NULL when it is valid.
-- A pattern is dot-separated segments, each a literal [a-z0-9_-]+ or '*'
-- (exactly one segment), with '>' allowed as the last segment (one or more
-- segments). A pattern that can never match a valid name is invalid too.
CREATE OR REPLACE FUNCTION webhooks.pattern_error(pattern text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
RETURN CASE
    WHEN pattern IS NULL OR pattern = '' THEN 'a pattern may not be empty'
    WHEN pattern !~ '^(([a-z0-9_-]+|\*)\.)*([a-z0-9_-]+|\*|>)$' THEN
        format('pattern "%s" is invalid: use dot-separated segments of [a-z0-9_-], "*" for one segment, ">" as the last segment for one or more', pattern)
    -- the shortest name it matches: every wildcard stands for one character
    WHEN length(translate(pattern, '*>', 'xx')) > 128 THEN
        format('pattern "%s" can never match: event type names are at most 128 characters', pattern)
END;

COMMENT ON FUNCTION webhooks.pattern_error(text) IS
    'NULL when the subscription pattern is valid, else a message saying why not';

-- Whether a valid pattern matches an event type name. Patterns hold only
-- [a-z0-9_-.*>], so the translation to a regular expression needs no escaping
-- beyond the dots.
CREATE OR REPLACE FUNCTION webhooks.pattern_matches(pattern text, event_type text)
RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
RETURN event_type ~ (
    '^' ||
    replace(replace(replace(pattern, '.', '\.'),
                    '*', '[a-z0-9_-]+'),
            '>', '[a-z0-9_-]+(\.[a-z0-9_-]+)*') ||
    '$');

COMMENT ON FUNCTION webhooks.pattern_matches(text, text) IS
    'true when the subscription pattern (exact, "*" one segment, ">" one or more trailing segments) matches the event type';

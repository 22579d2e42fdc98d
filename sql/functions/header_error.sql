-- The request headers the worker sets itself or that belong to the HTTP
-- connection, which a subscription may not set. The worker refuses the same
-- names: both sides are checked against tests/data/delivery-rules.json
-- ("reserved_headers"), the one home of this list.
CREATE OR REPLACE FUNCTION webhooks.reserved_headers()
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
RETURN ARRAY['content-type', 'content-length', 'host', 'user-agent',
             'webhook-id', 'webhook-timestamp', 'webhook-signature',
             'transfer-encoding', 'connection', 'expect', 'te', 'upgrade',
             'keep-alive', 'proxy-connection', 'trailer'];

COMMENT ON FUNCTION webhooks.reserved_headers() IS
    'lower-case names of the request headers a subscription may not set (the worker sets them or they belong to the connection)';

-- Why a subscription's extra headers are unacceptable, or NULL: a JSON object
-- of at most 50 headers, each a valid HTTP header name that is not reserved,
-- with a string value of at most 4096 characters and no control characters
-- but tab. A message names the header, never repeats its value (a value is
-- often a credential: contract §9).
CREATE OR REPLACE FUNCTION webhooks.header_error(headers jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
RETURN CASE
    WHEN headers IS NULL THEN 'headers may not be NULL: use ''{}'' for no extra headers'
    WHEN jsonb_typeof(headers) <> 'object' THEN
        format('headers must be a JSON object of strings, such as {"authorization": "Bearer ..."}; got a JSON %s', jsonb_typeof(headers))
    WHEN (SELECT count(*) FROM jsonb_object_keys(headers)) > 50 THEN
        format('headers has %s entries; at most 50 are allowed', (SELECT count(*) FROM jsonb_object_keys(headers)))
    ELSE (
        SELECT CASE
            WHEN length(k) > 256 THEN
                format('header name %s... is %s characters long; at most 256 are allowed', quote_literal(left(k, 40)), length(k))
            WHEN k !~ '^[A-Za-z0-9!#$%&''*+.^_`|~-]+$' THEN
                format('header name %s is invalid: use letters, digits and !#$%%&''*+-.^_`|~ only', quote_literal(left(k, 100)))
            WHEN lower(k) = ANY (webhooks.reserved_headers()) THEN
                format('header "%s" may not be set: the worker sets it or it belongs to the connection (reserved: %s)',
                       k, array_to_string(webhooks.reserved_headers(), ', '))
            WHEN jsonb_typeof(v) <> 'string' THEN
                format('header "%s" must have a string value, not a JSON %s', k, jsonb_typeof(v))
            WHEN v #>> '{}' ~ '[\x01-\x08\x0a-\x1f\x7f]' THEN
                format('header "%s" has a value with a control character (line break or other non-printing character); only printable text and tab are allowed', k)
            WHEN length(v #>> '{}') > 4096 THEN
                format('header "%s" has a value of %s characters; at most 4096 are allowed', k, length(v #>> '{}'))
        END
          FROM jsonb_each(headers) AS h(k, v)
         WHERE length(k) > 256
            OR k !~ '^[A-Za-z0-9!#$%&''*+.^_`|~-]+$'
            OR lower(k) = ANY (webhooks.reserved_headers())
            OR jsonb_typeof(v) <> 'string'
            OR v #>> '{}' ~ '[\x01-\x08\x0a-\x1f\x7f]'
            OR length(v #>> '{}') > 4096
         ORDER BY k
         LIMIT 1)
END;

COMMENT ON FUNCTION webhooks.header_error(jsonb) IS
    'NULL when headers is a JSON object of valid, unreserved header names with printable string values, else a message naming the header (never its value)';

-- Why a subscription URL is unacceptable, or NULL: only absolute http(s)
-- URLs with a host, no white space.
CREATE OR REPLACE FUNCTION webhooks.url_error(url text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
RETURN CASE
    WHEN url IS NULL OR url = '' THEN 'url may not be empty'
    WHEN url !~* '^https?://' THEN
        format('url "%s" is invalid: only http:// and https:// URLs are accepted', url)
    WHEN url ~ '\s' THEN format('url "%s" is invalid: it contains white space', url)
    WHEN url !~* '^https?://([^/?#@]+@)?(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9.-]*[a-z0-9])?)(:[0-9]{1,5})?([/?#].*)?$' THEN
        format('url "%s" is invalid: it needs a host name or address', url)
END;

COMMENT ON FUNCTION webhooks.url_error(text) IS
    'NULL when url is an absolute http:// or https:// URL with a host, else a message saying why not';

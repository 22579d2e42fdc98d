-- Why a subscription URL is unacceptable, or NULL: an absolute http:// or
-- https:// URL with a host, a port from 1 to 65535 if one is given, no white
-- space or control characters, at most 2048 characters (what the worker
-- could not send is refused now rather than failing at every attempt).
-- The message never repeats credentials: the URL is shown through
-- webhooks.redact_url, and only where it is a URL at all (contract §9).
CREATE OR REPLACE FUNCTION webhooks.url_error(url text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
RETURN CASE
    WHEN url IS NULL OR url = '' THEN 'url may not be empty: give an absolute http:// or https:// URL'
    WHEN length(url) > 2048 THEN
        format('url is %s characters long; at most 2048 are accepted', length(url))
    WHEN url ~ '[\x01-\x1f\x7f]' THEN
        'url is invalid: it contains a control character (a line break, tab or other non-printing character)'
    WHEN url !~* '^https?://' THEN
        CASE WHEN url ~* '^[a-z][a-z0-9+.-]*://'
             THEN format('url is invalid: the scheme "%s" is not accepted; only http:// and https:// URLs are',
                         lower(substring(url from '^([A-Za-z][A-Za-z0-9+.-]*)://')))
             ELSE 'url is invalid: it is not an absolute URL; only http:// and https:// URLs are accepted' END
    WHEN url ~ '\s' THEN format('url "%s" is invalid: it contains white space', webhooks.redact_url(url))
    WHEN url !~* '^https?://([^/?#@]+@)?(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9.-]*[a-z0-9])?)(:[0-9]{1,5})?([/?#].*)?$' THEN
        format('url "%s" is invalid: it needs a host name or address', webhooks.redact_url(url))
    WHEN coalesce(substring(url from '^[A-Za-z]+://(?:[^/?#@]+@)?(?:\[[^]]*\]|[^/?#:]+):([0-9]+)')::int, 1) NOT BETWEEN 1 AND 65535 THEN
        format('url "%s" is invalid: port %s is out of range (1 to 65535)', webhooks.redact_url(url),
               substring(url from '^[A-Za-z]+://(?:[^/?#@]+@)?(?:\[[^]]*\]|[^/?#:]+):([0-9]+)'))
END;

COMMENT ON FUNCTION webhooks.url_error(text) IS
    'NULL when url is an absolute http:// or https:// URL with a host (port 1-65535, no white space or control characters, at most 2048 characters), else a message saying why not that never shows credentials';

-- A subscription URL as people may see it: userinfo (user:password@) and
-- query values replaced by ***, so credentials carried in a URL never reach
-- a view, an operational event, an error message or a log line
-- (contract §9). Only webhooks.subscriptions.url itself, which only admins
-- and workers read, holds the URL as written.
--   https://user:pw@h.example/p?token=abc&x=1  ->  https://***@h.example/p?token=***&x=***
CREATE OR REPLACE FUNCTION webhooks.redact_url(url text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
RETURN (
    SELECT CASE WHEN q = 0 THEN u
                ELSE left(u, q) || regexp_replace(substr(u, q + 1), '(^|&)([^=&#]*)=[^&#]*', '\1\2=***', 'g') END
      FROM (SELECT u, strpos(u, '?') AS q
              FROM (SELECT regexp_replace(url, '^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/?#]*@', '\1***@') AS u) a) b
);

COMMENT ON FUNCTION webhooks.redact_url(text) IS
    'the URL with userinfo and query values replaced by ***: what views, events, errors and logs show';

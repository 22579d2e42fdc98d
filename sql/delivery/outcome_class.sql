-- The outcome class of an HTTP status (contract §6), as
-- tests/data/delivery-rules.json states it for SQL and C++ alike
-- (tests/pgtap/delivery/shared_rules.sql checks this side against that
-- file): 2xx 'delivered'; no response (NULL), 408, 429 and 5xx 'retry';
-- every other status 'fail'.
-- No SET search_path: a function with SET clauses is never inlined, and
-- this one runs per result inside webhooks.record (32 calls cost ~1 ms
-- un-inlined at batch 32). Its SQL-standard body is parsed at creation, so
-- the caller's search_path cannot change what it calls.
CREATE OR REPLACE FUNCTION webhooks.outcome_class(status_code int)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN status_code BETWEEN 200 AND 299 THEN 'delivered'
            WHEN status_code IS NULL OR status_code IN (408, 429) OR status_code BETWEEN 500 AND 599 THEN 'retry'
            ELSE 'fail' END;

COMMENT ON FUNCTION webhooks.outcome_class(int) IS
    'class of an attempt''s HTTP status (NULL = no response): delivered, retry or fail (tests/data/delivery-rules.json)';

-- The first response_capture_bytes (1024) bytes of a response, cut at a
-- character boundary: what webhooks.deliveries keeps. (webhooks.record calls
-- it only for responses longer than that: the worker already sends at most
-- 1024 bytes. SQL-standard body, parsed at creation: no search_path risk.)
CREATE OR REPLACE FUNCTION webhooks.response_capture(response text, max_bytes int DEFAULT 1024)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN CASE WHEN octet_length(response) <= max_bytes THEN response
            ELSE (SELECT left(response, n) FROM generate_series(least(max_bytes, length(response)), 0, -1) n
                   WHERE octet_length(left(response, n)) <= max_bytes LIMIT 1) END;

COMMENT ON FUNCTION webhooks.response_capture(text, int) IS
    'the first max_bytes bytes (default 1024, tests/data/delivery-rules.json) of a response, cut at a character boundary';

/* pure helpers of record; harmless */
GRANT EXECUTE ON FUNCTION webhooks.outcome_class(int), webhooks.response_capture(text, int) TO webhooks_worker, webhooks_admin;

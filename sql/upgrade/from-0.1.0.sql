-- pg_webhooks 0.1.0 -> 0.2.0, the hand-written part: what re-running the code
-- cannot do. The Makefile appends every code file of sql/ (CREATE OR REPLACE)
-- after this, so only these belong here:
--  - table changes (new tables, columns, constraints, indexes), mirroring
--    sql/schema/ so that an upgraded install equals a fresh one
--    (tests/shell/install_paths.t compares the two);
--  - objects that CREATE OR REPLACE cannot change: views whose columns
--    change, functions whose arguments or result type change or that are
--    gone (drop them here).
-- Keep one section per area, each headed by a comment.

-- admin: subscriptions are validated by the BEFORE trigger only (it raises
-- before any constraint could print the row with its secret); the URL and
-- secret CHECKs go, so rules tightened in 0.2.0 never make the worker's
-- updates of an older row fail. subscription_status changes column types
-- (rounded p50/p95), so it is dropped and made again by the code that follows.
ALTER TABLE webhooks.subscriptions
    DROP CONSTRAINT IF EXISTS subscriptions_url_valid,
    DROP CONSTRAINT IF EXISTS subscriptions_secret_valid;
DROP VIEW IF EXISTS webhooks.subscription_status;
COMMENT ON COLUMN webhooks.subscriptions.retry_schedule IS
    'delay before attempt 2, 3, ...; length + 1 = max attempts; each delay jittered by ±20%; at most 50 delays, each 0 to 7 days';
COMMENT ON COLUMN webhooks.subscriptions.url IS
    'http:// or https:// URL the worker POSTs to; may carry credentials, which every view, event and error shows redacted';
COMMENT ON COLUMN webhooks.subscriptions.timeout IS
    'per request, 1 ms to 5 min';
COMMENT ON COLUMN webhooks.subscriptions.max_in_flight IS
    'concurrent requests to this subscription across all workers, 1 to 100000';
COMMENT ON COLUMN webhooks.subscriptions.headers IS
    'extra request headers, a JSON object of at most 50 strings; may not set the headers in webhooks.reserved_headers()';
COMMENT ON COLUMN webhooks.subscriptions.circuit_threshold IS
    'consecutive failed attempts that trip the circuit, 1 to 1000000';

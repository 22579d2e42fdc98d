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

-- delivery: lease tokens (issues 8, 9), circuit and alert state (issues 9, 11)
-- The worker API changed shape: claim returns lease_token and
-- subscription_name and takes skip_subscriptions; release takes the token.
DROP FUNCTION webhooks.claim(text, int, interval);
DROP FUNCTION webhooks.release(text, bigint[]);
ALTER TABLE webhooks.messages ADD COLUMN lease_token uuid;
-- leases of 0.1.0 carry no token: give them back (due again at once); a
-- 0.1.0 worker's results for them could not be fenced anyway
UPDATE webhooks.messages SET lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = now()
 WHERE lease_owner IS NOT NULL;
CREATE TABLE webhooks.leases (
    token            uuid PRIMARY KEY,
    worker_id        text NOT NULL,
    claimed_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    message_ids      bigint[] NOT NULL,
    event_ids        uuid[]   NOT NULL,
    subscription_ids bigint[] NOT NULL,
    attempts         int[]    NOT NULL,
    probe_ids        bigint[] NOT NULL DEFAULT '{}',
    done             bigint[] NOT NULL DEFAULT '{}',
    finished_at      timestamptz
);
CREATE INDEX leases_claimed_at ON webhooks.leases (claimed_at);
ALTER TABLE webhooks.leases SET (
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_cost_delay = 0
);
COMMENT ON TABLE webhooks.leases IS
    'internal: one row per claim (lease token, worker, and per message its event, subscription and attempt), so every result is logged exactly once';
CREATE TABLE webhooks.subscription_health (
    subscription_id     bigint PRIMARY KEY REFERENCES webhooks.subscriptions (id) ON DELETE CASCADE,
    failure_counted_at  timestamptz,
    last_status_code    int,
    last_response       text,
    failed_reported_at  timestamptz,
    failed_unreported   int NOT NULL DEFAULT 0,
    failed_last         jsonb
);
COMMENT ON TABLE webhooks.subscription_health IS
    'internal: circuit and alert state per subscription (last counted failure, last response, unreported failures)';

-- publish: admin-only settings (payload limit), the waiting-worker registry
-- of the wake-up protocol, and watch_table's new skip_unchanged_updates
-- argument (the old two-argument function is replaced).
CREATE TABLE webhooks.settings (
    name  text PRIMARY KEY
          CONSTRAINT settings_name_known CHECK (name IN ('webhooks.max_payload_bytes')),
    value bigint NOT NULL,
    -- hard ceiling 16 MiB: a worker holds a batch of bodies in memory
    CONSTRAINT settings_max_payload_bytes_range
        CHECK (name <> 'webhooks.max_payload_bytes' OR value BETWEEN 1024 AND 16777216)
);
COMMENT ON TABLE webhooks.settings IS
    'limits set by an admin: webhooks.max_payload_bytes (default 1048576, between 1024 and 16777216); a session SET does not change them';
SELECT pg_catalog.pg_extension_config_dump('webhooks.settings', '');
CREATE UNLOGGED TABLE webhooks.waiting_workers (
    worker_id     text PRIMARY KEY,
    backend_pid   int NOT NULL,           -- the LISTEN connection that declared it
    backend_start timestamptz NOT NULL,   -- with the pid: a dead connection's row is recognised
    since         timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE webhooks.waiting_workers IS
    'internal: workers waiting for a NOTIFY; publishers notify only while one is here';
DROP FUNCTION webhooks.watch_table(regclass, text);
-- publish: no foreign keys on the publishing path (issue 10; see
-- sql/schema/events.sql and sql/schema/messages.sql): the checks they made are
-- kept by triggers (event_types_validate, subscriptions_forget).
ALTER TABLE webhooks.events DROP CONSTRAINT events_event_type_fkey;
ALTER TABLE webhooks.messages DROP CONSTRAINT messages_event_id_fkey;
ALTER TABLE webhooks.messages DROP CONSTRAINT messages_subscription_id_fkey;

-- publish: the application's transaction writes the event and one
-- fan_out_queue row; claims turn queued events into messages (issue 10; see
-- sql/schema/fan_out_queue.sql and sql/functions/store_event.sql). Direct
-- INSERTs are checked row by row by the _100_accept trigger, which skips rows
-- marked admitted; the statement-level fan-out trigger goes. Fewer index
-- entries per event: the idempotency key is indexed only where there is one,
-- created_at by BRIN.
ALTER TABLE webhooks.events ADD COLUMN admitted boolean;
DROP TRIGGER _200_fan_out ON webhooks.events;
DROP FUNCTION webhooks.tg_events__fan_out();
ALTER TABLE webhooks.events DROP CONSTRAINT events_idempotency_key;
CREATE UNIQUE INDEX events_idempotency_key ON webhooks.events (event_type, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
DROP INDEX webhooks.events_created_at;
CREATE INDEX events_created_at ON webhooks.events USING brin (created_at);
CREATE TABLE webhooks.fan_out_queue (
    event_id         uuid        NOT NULL,
    published_at     timestamptz NOT NULL,
    subscription_ids bigint[]    NOT NULL
);
ALTER TABLE webhooks.fan_out_queue SET (
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_cost_delay = 0,
    autovacuum_vacuum_insert_threshold = 1000
);
COMMENT ON TABLE webhooks.fan_out_queue IS
    'internal: published events not yet turned into messages, with the subscriptions routed to them at publish time; emptied by webhooks.fan_out_queued (every claim runs it)';
SELECT pg_catalog.pg_extension_config_dump('webhooks.fan_out_queue', '');
-- admins insert events through the same columns as publishers
REVOKE INSERT ON webhooks.events FROM webhooks_admin;

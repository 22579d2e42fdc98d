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

-- Limits an admin sets and a publisher's session cannot raise (contract §9).
-- A row overrides the built-in default; no row = the default. The install
-- writes no row, so a pg_dump backup restores exactly the admin's rows
-- (a row made by the install would collide with the restored one).
--   INSERT INTO webhooks.settings VALUES ('webhooks.max_payload_bytes', 2097152)
--       ON CONFLICT (name) DO UPDATE SET value = excluded.value;
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

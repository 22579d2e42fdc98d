-- One row per call of webhooks.claim that returned something: the lease
-- token it handed out and, for each message, the facts a result needs to be
-- logged whatever happens to the message afterwards (contract §9: every
-- request has exactly one row in webhooks.deliveries). Written once by claim;
-- record and release add the ids they finished to `done`; a lease whose every
-- message is done is `finished_at` and kept a while so a repeated record is
-- recognised (idempotency per (lease_token, message_id)), then deleted.
-- Arrays rather than a row per message: one insert per claim and one update
-- per (record, token), not one per message.
CREATE TABLE webhooks.leases (
    token            uuid PRIMARY KEY,
    worker_id        text NOT NULL,
    claimed_at       timestamptz NOT NULL,  -- clock_timestamp() of the claim (circuit rule, see record)
    expires_at       timestamptz NOT NULL,  -- the latest lease expiry of its messages
    message_ids      bigint[] NOT NULL,
    event_ids        uuid[]   NOT NULL,
    subscription_ids bigint[] NOT NULL,
    attempts         int[]    NOT NULL,     -- the attempt number each message was sent as
    probe_ids        bigint[] NOT NULL DEFAULT '{}',  -- messages claimed as a tripped circuit's probe
    done             bigint[] NOT NULL DEFAULT '{}',  -- recorded or released
    finished_at      timestamptz
);
-- webhooks.record deletes finished leases after 10 minutes and abandoned
-- ones (a worker that died) a day after they expired, walking this index.
CREATE INDEX leases_claimed_at ON webhooks.leases (claimed_at);
ALTER TABLE webhooks.leases SET (
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_cost_delay = 0
);
COMMENT ON TABLE webhooks.leases IS
    'internal: one row per claim (lease token, worker, and per message its event, subscription and attempt), so every result is logged exactly once';

-- Per subscription, what the circuit and the alerts need beyond the
-- contract's columns of webhooks.subscriptions (written only on failures).
CREATE TABLE webhooks.subscription_health (
    subscription_id     bigint PRIMARY KEY REFERENCES webhooks.subscriptions (id) ON DELETE CASCADE,
    -- when the last failure that counted towards the circuit was recorded:
    -- a failure counts only if its request was claimed after this
    failure_counted_at  timestamptz,
    last_status_code    int,
    last_response       text,   -- first bytes of the last failed response
    -- webhooks.message.failed coalescing: when the last one was published,
    -- and the failures since then not yet reported
    failed_reported_at  timestamptz,
    failed_unreported   int NOT NULL DEFAULT 0,
    failed_last         jsonb   -- the last unreported failure (message, event, status, error)
);
COMMENT ON TABLE webhooks.subscription_health IS
    'internal: circuit and alert state per subscription (last counted failure, last response, unreported failures)';

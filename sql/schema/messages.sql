-- The hot outbox: one row per (event, subscription) still to be sent, or
-- failed and kept for webhooks.replay. Delivered messages are deleted (their
-- story is in webhooks.deliveries), so the table and its indexes stay small.
CREATE TABLE webhooks.messages (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- No foreign keys (issue 10): each would take a KEY SHARE lock from every
    -- publishing transaction, on its own new event row (a WAL record per
    -- message) and on the one hot subscription row (a MultiXact as soon as two
    -- publishers overlap). Their guarantees are kept otherwise: events are
    -- deleted only by webhooks.purge, never while a message references them;
    -- a deleted subscription's messages go with it
    -- (sql/triggers/subscriptions_forget.sql). Not yet measured in isolation
    -- (docs/benchmarks.md, "Write path").
    event_id         uuid   NOT NULL,
    subscription_id  bigint NOT NULL,
    state            text   NOT NULL DEFAULT 'pending' CONSTRAINT messages_state CHECK (state IN ('pending', 'failed')),
    attempts         int    NOT NULL DEFAULT 0,  -- attempts made so far
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    lease_owner      text,         -- the worker holding the lease (for people; fencing uses lease_token)
    lease_expires_at timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    -- the claim (webhooks.leases) whose results may move this message; NULL
    -- when not leased. A result carrying another token is only logged.
    lease_token      uuid
);
-- The claim walks one subscription's due messages in order. A claim sets
-- next_attempt_at to the lease's expiry, so a leased message leaves the due
-- range and comes back into it by itself if its lease runs out.
CREATE INDEX messages_due ON webhooks.messages (subscription_id, next_attempt_at) WHERE state = 'pending';
-- Leases still running per subscription: max_in_flight is counted here, so an
-- expired lease stops counting without anyone having to clean it up. The
-- claim reads it with ORDER BY ... LIMIT max_in_flight (a plain index scan,
-- which skips entries it has found dead before) rather than count(*) (a
-- bitmap scan that re-reads every dead entry: 15,000 entries and 300 heap
-- pages for 200 live leases on 0.1.0 before ANALYZE, issue 10).
CREATE INDEX messages_leased ON webhooks.messages (subscription_id, lease_expires_at) WHERE lease_owner IS NOT NULL;
CREATE INDEX messages_failed ON webhooks.messages (subscription_id) WHERE state = 'failed';
CREATE INDEX messages_event_id ON webhooks.messages (event_id);

-- A queue table lives on deletes: vacuum it early and often.
ALTER TABLE webhooks.messages SET (
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_cost_delay = 0,
    autovacuum_analyze_scale_factor = 0.02
);

COMMENT ON TABLE webhooks.messages IS
    'outbox: messages not yet delivered (pending) or given up on (failed, kept for webhooks.replay)';

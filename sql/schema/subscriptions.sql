-- The operator's interface (contract §4): plain INSERT / UPDATE / DELETE in
-- psql. The BEFORE trigger _100_validate checks every column with clear
-- messages (sql/triggers/subscriptions_validate.sql) before any constraint
-- runs: a failing CHECK or NOT NULL prints the whole row, secret and header
-- values included. The simple CHECKs below are a backstop for writes that
-- bypass triggers (replication role); URL and secret rules live only in the
-- trigger, so that a rule tightened in a new version applies to what is
-- written from then on and never breaks the worker's updates of an older row.
CREATE TABLE webhooks.subscriptions (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                 text NOT NULL UNIQUE CONSTRAINT subscriptions_name_not_blank CHECK (btrim(name) <> ''),
    url                  text NOT NULL,
    event_types          text[] NOT NULL CONSTRAINT subscriptions_event_types_not_empty CHECK (cardinality(event_types) > 0),
    secret               text NOT NULL DEFAULT webhooks.generate_secret(),
    enabled              boolean NOT NULL DEFAULT true,
    auto_disabled_at     timestamptz,
    consecutive_failures int NOT NULL DEFAULT 0,
    last_error           text,
    retry_schedule       interval[] NOT NULL DEFAULT '{5s,5min,30min,2h,5h,10h,10h}'
                         CONSTRAINT subscriptions_retry_schedule_valid CHECK (array_position(retry_schedule, NULL) IS NULL),
    timeout              interval NOT NULL DEFAULT '10s'
                         CONSTRAINT subscriptions_timeout_range CHECK (timeout > '0' AND timeout <= '5 min'),
    max_in_flight        int NOT NULL DEFAULT 64 CONSTRAINT subscriptions_max_in_flight_positive CHECK (max_in_flight > 0),
    circuit_threshold    int NOT NULL DEFAULT 5 CONSTRAINT subscriptions_circuit_threshold_positive CHECK (circuit_threshold > 0),
    headers              jsonb NOT NULL DEFAULT '{}',
    -- internal state, not part of the contract
    previous_secret            text,  -- still signs until previous_secret_expires_at (rotate_secret)
    previous_secret_expires_at timestamptz,
    probe_at             timestamptz, -- a tripped circuit may be probed from then on
    probe_cooldown       interval,    -- current cool-down; doubles on each failed probe
    probe_message_id     bigint,      -- the message claimed as the current probe of a tripped circuit
    last_claimed_at      timestamptz, -- last claim of its messages; every claim writes the row (see webhooks.claim)
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE webhooks.subscriptions IS
    'webhook subscribers; administer with plain SQL (INSERT ... RETURNING secret to copy the generated secret)';
COMMENT ON COLUMN webhooks.subscriptions.event_types IS
    'patterns: exact name, "*" for one segment, ">" as last segment for one or more';
COMMENT ON COLUMN webhooks.subscriptions.enabled IS
    'false = paused by the operator (auto_disabled_at NULL) or tripped by the circuit; setting it true clears the failure state';
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

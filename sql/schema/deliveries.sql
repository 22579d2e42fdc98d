-- The attempt log: one row per HTTP attempt, append-only (sql/triggers/
-- deliveries_append_only.sql); only webhooks.purge removes old history.
CREATE TABLE webhooks.deliveries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        uuid   NOT NULL,
    subscription_id bigint NOT NULL,
    attempt         int    NOT NULL,
    attempted_at    timestamptz NOT NULL DEFAULT now(),
    status_code     int,
    duration_ms     int,
    outcome         text   NOT NULL CONSTRAINT deliveries_outcome CHECK (outcome IN ('delivered', 'retrying', 'failed')),
    error           text,
    response        text,  -- first KiB of the response body
    worker_id       text
);
CREATE INDEX deliveries_subscription_attempted_at ON webhooks.deliveries (subscription_id, attempted_at);
CREATE INDEX deliveries_event_id ON webhooks.deliveries (event_id);
CREATE INDEX deliveries_attempted_at ON webhooks.deliveries (attempted_at);

COMMENT ON TABLE webhooks.deliveries IS
    'every delivery attempt: outcome, status code, duration, error, first KiB of the response; append-only';

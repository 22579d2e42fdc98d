-- What happened: append-only, one row per published event, payload stored
-- once however many subscribers.
-- event_type has no foreign key (issue 10): the check would lock the type's
-- row FOR KEY SHARE in every publishing transaction, one hot row shared by
-- all publishers (MultiXacts). Not yet measured in isolation: the
-- write-path bench runs before and after were on a box too differently loaded
-- to compare (docs/benchmarks.md, "Write path"). The accept trigger refuses unknown types by
-- name, and deleting a type that events use is refused
-- (sql/triggers/event_types_validate.sql).
CREATE TABLE webhooks.events (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    event_type            text NOT NULL,
    payload               jsonb NOT NULL,
    idempotency_key       text,
    created_at            timestamptz NOT NULL DEFAULT now(),
    -- operational events are never routed to the subscription they are about
    about_subscription_id bigint,
    CONSTRAINT events_idempotency_key UNIQUE (event_type, idempotency_key)
);
CREATE INDEX events_created_at ON webhooks.events (created_at);

COMMENT ON TABLE webhooks.events IS
    'published events, append-only; INSERT here or call webhooks.publish inside the application transaction';
COMMENT ON COLUMN webhooks.events.idempotency_key IS
    'a key seen before for the same event type publishes nothing new';

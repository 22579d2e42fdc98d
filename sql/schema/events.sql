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
    -- true: checked and queued for fan-out by the extension's own publishing
    -- code (webhooks.store_event, or the _100_accept trigger for a direct
    -- INSERT), so the row triggers for direct INSERTs skip it. Publishers
    -- and admins cannot set it (column privileges, sql/roles/grants.sql).
    -- NULL: history restored from a backup of a version without it.
    admitted              boolean
);
-- Index entries are what a publishing transaction pays for beyond the row
-- itself (issue 10): a key is unique per type, but events without one (most)
-- get no entry; webhooks.purge and event_type_status find events by
-- created_at through a BRIN index, as events are appended in time order.
-- Measured with a throwaway variant of bench/write-path/cost (a SECURITY
-- DEFINER trigger writing only the event; one client, fsync on, CPU per
-- transaction, one run, +-15 %): 224 us with a full unique index and a
-- btree on created_at, 172 us with these two (plain INSERT: 102 us).
CREATE UNIQUE INDEX events_idempotency_key ON webhooks.events (event_type, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX events_created_at ON webhooks.events USING brin (created_at);

COMMENT ON TABLE webhooks.events IS
    'published events, append-only; INSERT here or call webhooks.publish inside the application transaction';
COMMENT ON COLUMN webhooks.events.idempotency_key IS
    'a key seen before for the same event type publishes nothing new';

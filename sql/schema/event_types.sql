-- The registry of event types (contract §3). Events reference it by foreign key.
CREATE TABLE webhooks.event_types (
    name        text PRIMARY KEY
                CONSTRAINT event_types_name_format CHECK (webhooks.is_valid_event_type_name(name)),
    description text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE webhooks.event_types IS
    'registered event types: lower-case dot-separated segments of [a-z0-9_-], at most 128 characters';

-- Which subscription receives which registered event type, precomputed from
-- the patterns so that fan-out at publish is one index lookup however many
-- subscriptions do not match. Kept current by triggers on event_types and
-- subscriptions (sql/triggers/).
CREATE TABLE webhooks.routes (
    event_type      text   NOT NULL REFERENCES webhooks.event_types (name) ON DELETE CASCADE,
    subscription_id bigint NOT NULL REFERENCES webhooks.subscriptions (id) ON DELETE CASCADE,
    PRIMARY KEY (event_type, subscription_id)
);
CREATE INDEX routes_subscription_id ON webhooks.routes (subscription_id);

COMMENT ON TABLE webhooks.routes IS
    'derived: (event type, subscription) pairs whose patterns match; maintained by triggers';

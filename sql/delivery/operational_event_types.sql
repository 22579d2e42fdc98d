-- The operational event types of contract §7, published by the extension
-- itself (webhooks.record and the subscriptions transition trigger) with
-- about_subscription_id set, so that an alerting endpoint subscribes with
-- plain SQL and a subscription never hears about itself.
INSERT INTO webhooks.event_types (name, description) VALUES
    ('webhooks.subscription.tripped',   'a subscription''s circuit tripped after circuit_threshold consecutive failed attempts; payload: subscription, subscription_id, url, consecutive_failures, last_error, auto_disabled_at, probe_at'),
    ('webhooks.subscription.recovered', 'a tripped subscription is enabled again (a successful probe, or an operator set enabled = true); payload: subscription, subscription_id, url, tripped_at'),
    ('webhooks.message.failed',         'a message ended without delivery (non-retryable answer or retries exhausted); payload: subscription, subscription_id, message_id, event_id, event_type, attempts, status_code, error')
ON CONFLICT (name) DO NOTHING;

-- The operational event types of contract §7, published by the extension
-- itself (webhooks.record and the subscriptions transition trigger) with
-- about_subscription_id set, so that an alerting endpoint subscribes with
-- plain SQL and a subscription never hears about itself.
INSERT INTO webhooks.event_types (name, description) VALUES
    ('webhooks.subscription.tripped',   'a subscription''s circuit tripped after circuit_threshold consecutive failed attempts; payload: subscription, subscription_id, url (redacted), consecutive_failures, last_error, last_status_code, last_response (first 256 characters), auto_disabled_at, probe_at'),
    ('webhooks.subscription.recovered', 'a tripped subscription is enabled again (a successful probe, or an operator set enabled = true); payload: subscription, subscription_id, url (redacted), tripped_at'),
    ('webhooks.message.failed',         'messages of a subscription ended without delivery (non-retryable answer or retries exhausted), coalesced: at most one per webhooks.failed_alert_window (default 5 min) per subscription; payload: subscription, subscription_id, url (redacted), count (failures since the previous one), since, window, and the last one''s message_id, event_id, event_type, attempts, status_code, error, response (first 256 characters)'),
    ('webhooks.subscription.paused',    'a subscription was paused because its receiver answered 410 Gone; payload: subscription, subscription_id, url (redacted), reason, last_error, status_code, response (first 256 characters), paused_at')
ON CONFLICT (name) DO NOTHING;
-- 0.1.0 registered message.failed with a description of one event per message
UPDATE webhooks.event_types SET description = 'messages of a subscription ended without delivery (non-retryable answer or retries exhausted), coalesced: at most one per webhooks.failed_alert_window (default 5 min) per subscription; payload: subscription, subscription_id, url (redacted), count (failures since the previous one), since, window, and the last one''s message_id, event_id, event_type, attempts, status_code, error, response (first 256 characters)'
 WHERE name = 'webhooks.message.failed' AND description LIKE 'a message ended without delivery%';

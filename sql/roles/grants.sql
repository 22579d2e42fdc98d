-- Least privilege (contract §2). Functions carry their own EXECUTE grants in
-- their files; this file grants table and view rights, and revokes the
-- default PUBLIC EXECUTE on every function of the schema that no file granted.

/* publishers insert events and read back the ids they made; nothing else */
GRANT INSERT (event_type, payload, idempotency_key) ON webhooks.events TO webhooks_publisher;
GRANT SELECT (id) ON webhooks.events TO webhooks_publisher;

/* operators administer everything in psql; history stays append-only through its triggers */
GRANT SELECT, INSERT, UPDATE, DELETE ON webhooks.event_types, webhooks.subscriptions TO webhooks_admin;
/* admins read every event, and publish like publishers: fanned_out is the extension's own (sql/schema/events.sql) */
GRANT SELECT, INSERT (event_type, payload, idempotency_key) ON webhooks.events TO webhooks_admin;
GRANT SELECT ON webhooks.routes, webhooks.messages, webhooks.fan_out_queue, webhooks.deliveries TO webhooks_admin;
/* the views for people are the operator's; they show no secret and redacted URLs */
GRANT SELECT ON webhooks.subscription_status, webhooks.message_status, webhooks.delivery_attempts,
    webhooks.event_type_status TO webhooks_admin;
/* limits are the admin's alone (contract §9); the publishing path reads them as the owner */
GRANT SELECT, INSERT, UPDATE, DELETE ON webhooks.settings TO webhooks_admin;

/* validation helpers are harmless and useful to anyone who can see the schema */
GRANT EXECUTE ON FUNCTION webhooks.is_valid_event_type_name(text), webhooks.pattern_error(text),
    webhooks.pattern_matches(text, text), webhooks.url_error(text), webhooks.secret_error(text),
    webhooks.redact_url(text), webhooks.header_error(jsonb), webhooks.reserved_headers()
    TO webhooks_publisher, webhooks_worker, webhooks_admin;

/* everything else in the schema is executable only where a file granted it */
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA webhooks FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.generate_secret() TO webhooks_admin;

-- The schema belongs to the extension (the control file names none, so the
-- script makes it and DROP EXTENSION removes it); the plain psql -f install
-- makes it the same way.
CREATE SCHEMA webhooks;
COMMENT ON SCHEMA webhooks IS 'pg_webhooks: transactional webhooks';
/* nobody but the roles below may see into the schema */
REVOKE ALL ON SCHEMA webhooks FROM PUBLIC;
GRANT USAGE ON SCHEMA webhooks TO webhooks_publisher, webhooks_worker, webhooks_admin;

-- pg_dump leaves out the rows of an extension's tables unless the extension
-- marks them: without this a backup would keep the schema and lose every
-- subscription, queued message and attempt. The operational event types are
-- made by the install itself, so they are left out of the dump. routes is
-- derived (triggers rebuild it while subscriptions are restored).
-- pg_extension_config_dump exists only inside CREATE EXTENSION; a plain
-- psql -f install has no extension for pg_dump to skip, so nothing to mark.
DO $dump$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_webhooks') THEN
        PERFORM pg_catalog.pg_extension_config_dump('webhooks.event_types', $w$WHERE name NOT LIKE 'webhooks.%'$w$);
        PERFORM pg_catalog.pg_extension_config_dump('webhooks.subscriptions', '');
        PERFORM pg_catalog.pg_extension_config_dump('webhooks.events', '');
        PERFORM pg_catalog.pg_extension_config_dump('webhooks.messages', '');
        PERFORM pg_catalog.pg_extension_config_dump('webhooks.fan_out_queue', '');
        PERFORM pg_catalog.pg_extension_config_dump('webhooks.deliveries', '');
        PERFORM pg_catalog.pg_extension_config_dump('webhooks.settings', '');
        -- identity sequences too, so restored ids do not collide with new ones
        PERFORM pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('webhooks.subscriptions', 'id')::regclass, '');
        PERFORM pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('webhooks.messages', 'id')::regclass, '');
        PERFORM pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('webhooks.deliveries', 'id')::regclass, '');
    END IF;
END
$dump$;

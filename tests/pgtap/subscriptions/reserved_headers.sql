-- The database refuses exactly the headers the worker will not send: the
-- list "reserved_headers" of tests/data/delivery-rules.json, which the worker's
-- GoogleTest checks against too (one home for the rule, issue 11). Each name
-- is refused whatever its case; a name just outside the list is accepted.
\set rules `cat "${WEBHOOKS_ROOT:-.}/tests/data/delivery-rules.json"`
BEGIN;
SELECT plan(5);

CREATE TEMP TABLE reserved AS
SELECT jsonb_array_elements_text(:'rules'::jsonb -> 'reserved_headers') AS name;

SELECT ok((SELECT count(*) FROM reserved) >= 10, 'delivery-rules.json lists the reserved headers');
SELECT set_eq('SELECT unnest(webhooks.reserved_headers())', 'SELECT name FROM reserved',
              'webhooks.reserved_headers() is exactly the list in delivery-rules.json');

CREATE FUNCTION pg_temp.refused(header text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO webhooks.subscriptions (name, url, event_types, headers)
    VALUES ('h-' || md5(header), 'https://a.example/h', '{a}', jsonb_build_object(header, 'x'));
    RETURN false;
EXCEPTION WHEN check_violation THEN
    RETURN true;
END
$$;

SELECT is((SELECT array_agg(name ORDER BY name) FROM reserved WHERE NOT pg_temp.refused(name)), NULL,
          'every reserved header is refused');
SELECT is((SELECT array_agg(name ORDER BY name) FROM reserved WHERE NOT pg_temp.refused(upper(name))), NULL,
          'in upper case too');
SELECT is((SELECT array_agg(h ORDER BY h) FROM unnest(ARRAY['authorization', 'x-api-key', 'x-user-agent', 'accept',
                                                            'content-encoding', 'x-webhook-id']) h
            WHERE pg_temp.refused(h)), NULL,
          'ordinary headers, even with similar names, are accepted');

SELECT * FROM finish();
ROLLBACK;

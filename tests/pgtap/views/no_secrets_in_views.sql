-- Every view of the webhooks schema, read as webhooks_admin, shows neither a
-- signing secret, nor a header value, nor a URL's userinfo or query values
-- (contract §9, issue 8); only the subscriptions.url column keeps the URL as
-- written. Walks the catalog, so a view added later is checked too.
BEGIN;
SELECT plan(2 + (SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname = 'webhooks' AND c.relkind = 'v'));

INSERT INTO webhooks.event_types (name) VALUES ('order.created');
INSERT INTO webhooks.subscriptions (name, url, event_types, headers)
VALUES ('leaky', 'https://ops:pw-IN-URL@hooks.example/in?token=tok-IN-QUERY', '{order.created}',
        '{"authorization": "Bearer hv-IN-HEADER"}');
SELECT webhooks.rotate_secret('leaky');
SELECT webhooks.publish('order.created', '{}');
INSERT INTO webhooks.deliveries (event_id, subscription_id, attempt, status_code, duration_ms, outcome, error)
SELECT e.id, s.id, 1, 500, 10, 'retrying', 'HTTP 500' FROM webhooks.events e, webhooks.subscriptions s;
-- what the views must not show
CREATE TEMP TABLE needles AS
SELECT unnest(ARRAY[secret, previous_secret, substr(secret, 7), 'pw-IN-URL', 'tok-IN-QUERY', 'hv-IN-HEADER']) AS needle
  FROM webhooks.subscriptions;
GRANT SELECT ON needles TO webhooks_admin;

CREATE FUNCTION pg_temp.leaks(view regclass) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM %s v, needles WHERE strpos(v::text, needles.needle) > 0', view) INTO n;
    RETURN n;
END
$$;

SET LOCAL ROLE webhooks_admin;
SELECT is(pg_temp.leaks(c.oid::regclass), 0::bigint, format('%s shows no secret, header value or URL credential', c.relname))
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'webhooks' AND c.relkind = 'v' ORDER BY c.relname;
SELECT is((SELECT url FROM webhooks.subscription_status WHERE name = 'leaky'), 'https://***@hooks.example/in?token=***',
          'subscription_status shows the URL redacted');
SELECT is((SELECT url FROM webhooks.subscriptions WHERE name = 'leaky'), 'https://ops:pw-IN-URL@hooks.example/in?token=tok-IN-QUERY',
          'only subscriptions.url keeps it as written');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;

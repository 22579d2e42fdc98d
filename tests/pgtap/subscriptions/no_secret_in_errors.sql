-- No error the project raises contains a signing secret, a header value or
-- a URL's credentials (issue 8, contract §9). On 0.1.0 any CHECK or NOT NULL
-- failure on webhooks.subscriptions printed "DETAIL: Failing row contains
-- (..., whsec_..., {"authorization": "Bearer ..."})" to the client and the
-- server log. Each failure kind is provoked as webhooks_admin on a row that
-- carries a known secret, header value and URL password; the message, detail
-- and hint of the error must contain none of them (the context quotes the
-- client's own statement, which is outside our reach), and the message
-- must name the column. Every NOT NULL column is tried (from the catalog, so
-- a column added later is covered too).
BEGIN;
SELECT plan(30 + (SELECT count(*)::int FROM pg_attribute
                   WHERE attrelid = 'webhooks.subscriptions'::regclass AND attnum > 0 AND NOT attisdropped
                     AND attnotnull AND attidentity = ''));

CREATE FUNCTION public.leaks(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    m text; d text; h text;
    secrets text[] := ARRAY['whsec_' || encode(sha256('victim'), 'base64'), encode(sha256('victim'), 'base64'),
                            'hv-SECRET-TOKEN-123', 'pw-URL-SECRET'];
    s text;
BEGIN
    EXECUTE stmt;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
    FOREACH s IN ARRAY secrets LOOP
        IF strpos(concat_ws(' | ', m, d, h), s) > 0 THEN
            RETURN format('LEAK of %s in: %s | %s | %s', left(s, 12), m, d, h);
        END IF;
    END LOOP;
    RETURN 'clean: ' || m;
END
$$;
GRANT EXECUTE ON FUNCTION public.leaks(text) TO webhooks_admin;

INSERT INTO webhooks.subscriptions (name, url, event_types, secret, headers)
VALUES ('victim', 'https://ops:pw-URL-SECRET@hooks.example/in?token=pw-URL-SECRET', '{a.b}',
        'whsec_' || encode(sha256('victim'), 'base64'), '{"authorization": "Bearer hv-SECRET-TOKEN-123"}');

SET LOCAL ROLE webhooks_admin;

CREATE TEMP VIEW bad(what, stmt, expected) AS VALUES
    -- the CHECK constraints of 0.1.0, each pre-empted by the trigger
    ('blank name', $$UPDATE webhooks.subscriptions SET name = ' ' WHERE name = 'victim'$$, 'clean: name may not be blank'),
    ('no patterns', $$UPDATE webhooks.subscriptions SET event_types = '{}' WHERE name = 'victim'$$, 'clean: event_types must list at least one pattern'),
    ('NULL delay', $$UPDATE webhooks.subscriptions SET retry_schedule = '{1s,NULL}' WHERE name = 'victim'$$,
        'clean: retry_schedule[2] is NULL; each delay must be between 0 and 7 days'),
    ('zero timeout', $$UPDATE webhooks.subscriptions SET timeout = '0' WHERE name = 'victim'$$,
        'clean: timeout 00:00:00 is out of range: it must be between 1 millisecond and 5 minutes'),
    ('max_in_flight 0', $$UPDATE webhooks.subscriptions SET max_in_flight = 0 WHERE name = 'victim'$$,
        'clean: max_in_flight 0 is out of range: it must be between 1 and 100000 concurrent requests'),
    ('circuit_threshold 0', $$UPDATE webhooks.subscriptions SET circuit_threshold = 0 WHERE name = 'victim'$$,
        'clean: circuit_threshold 0 is out of range: it must be between 1 and 1000000 consecutive failures'),
    ('bad url', $$UPDATE webhooks.subscriptions SET url = 'https://ops:pw-URL-SECRET@/x?token=pw-URL-SECRET' WHERE name = 'victim'$$,
        'clean: url "https://***@/x?token=***" is invalid: it needs a host name or address'),
    ('url with white space', $$UPDATE webhooks.subscriptions SET url = 'https://ops:pw-URL-SECRET@a b/' WHERE name = 'victim'$$,
        'clean: url "https://***@a b/" is invalid: it contains white space'),
    ('url port', $$UPDATE webhooks.subscriptions SET url = 'https://ops:pw-URL-SECRET@a:99999/' WHERE name = 'victim'$$,
        'clean: url "https://***@a:99999/" is invalid: port 99999 is out of range (1 to 65535)'),
    ('url scheme', $$UPDATE webhooks.subscriptions SET url = 'ftp://ops:pw-URL-SECRET@a/' WHERE name = 'victim'$$,
        'clean: url is invalid: the scheme "ftp" is not accepted; only http:// and https:// URLs are'),
    ('url without scheme', $$UPDATE webhooks.subscriptions SET url = 'ops:pw-URL-SECRET@a/' WHERE name = 'victim'$$,
        'clean: url is invalid: it is not an absolute URL; only http:// and https:// URLs are accepted'),
    ('bad pattern', $$UPDATE webhooks.subscriptions SET event_types = '{A}' WHERE name = 'victim'$$, NULL),
    ('bad secret', $$UPDATE webhooks.subscriptions SET secret = 'whsec_' || encode(sha256('victim'), 'base64') || 'x' WHERE name = 'victim'$$,
        'clean: secret is not valid base64 after "whsec_"'),
    ('short secret', $$UPDATE webhooks.subscriptions SET secret = 'whsec_' || encode(substr(sha256('victim'), 1, 8), 'base64') WHERE name = 'victim'$$,
        'clean: secret decodes to 8 bytes; it must be 24 to 64'),
    ('header value with a line break', $$UPDATE webhooks.subscriptions SET headers = '{"authorization": "Bearer hv-SECRET-TOKEN-123\r\n"}' WHERE name = 'victim'$$,
        'clean: header "authorization" has a value with a control character (line break or other non-printing character); only printable text and tab are allowed'),
    ('header value not a string', $$UPDATE webhooks.subscriptions SET headers = '{"authorization": ["Bearer hv-SECRET-TOKEN-123"]}' WHERE name = 'victim'$$,
        'clean: header "authorization" must have a string value, not a JSON array'),
    ('reserved header', $$UPDATE webhooks.subscriptions SET headers = '{"Host": "hv-SECRET-TOKEN-123"}' WHERE name = 'victim'$$, NULL),
    ('long header value', $$UPDATE webhooks.subscriptions SET headers = jsonb_build_object('x-k', 'hv-SECRET-TOKEN-123' || repeat('x', 5000)) WHERE name = 'victim'$$,
        'clean: header "x-k" has a value of 5019 characters; at most 4096 are allowed'),
    ('schedule too long', $$UPDATE webhooks.subscriptions SET retry_schedule = array_fill('1s'::interval, ARRAY[51]) WHERE name = 'victim'$$,
        'clean: retry_schedule has 51 delays; at most 50 are allowed (51 attempts in all)'),
    ('negative failures', $$UPDATE webhooks.subscriptions SET consecutive_failures = -1 WHERE name = 'victim'$$,
        'clean: consecutive_failures -1 is out of range: it must be 0 or more'),
    ('duplicate name on insert', $$INSERT INTO webhooks.subscriptions (name, url, event_types, secret, headers)
        SELECT name, url, event_types, secret, headers FROM webhooks.subscriptions WHERE name = 'victim'$$,
        'clean: a subscription named "victim" already exists'),
    ('NULL enabled on insert', $$INSERT INTO webhooks.subscriptions (name, url, event_types, secret, headers, enabled)
        SELECT 'v2', url, event_types, secret, headers, NULL FROM webhooks.subscriptions WHERE name = 'victim'$$,
        'clean: enabled may not be NULL'),
    ('NULL secret on insert', $$INSERT INTO webhooks.subscriptions (name, url, event_types, secret, headers)
        SELECT 'v2', url, event_types, NULL, headers FROM webhooks.subscriptions WHERE name = 'victim'$$,
        'clean: secret may not be NULL'),
    ('NULL headers on insert', $$INSERT INTO webhooks.subscriptions (name, url, event_types, secret, headers)
        SELECT 'v2', url, event_types, secret, NULL FROM webhooks.subscriptions WHERE name = 'victim'$$,
        'clean: headers may not be NULL'),
    ('bad value on insert', $$INSERT INTO webhooks.subscriptions (name, url, event_types, secret, headers, timeout)
        SELECT 'v2', url, event_types, secret, headers, '1 day' FROM webhooks.subscriptions WHERE name = 'victim'$$,
        'clean: timeout 1 day is out of range: it must be between 1 millisecond and 5 minutes'),
    ('rotate_secret of an unknown name', $$SELECT webhooks.rotate_secret('nobody')$$, NULL),
    ('ping of a paused subscription', $$SELECT webhooks.ping('paused-victim')$$, NULL);

INSERT INTO webhooks.subscriptions (name, url, event_types, secret, headers, enabled)
SELECT 'paused-victim', url, event_types, 'whsec_' || encode(sha256('victim'), 'base64'), headers, false
  FROM webhooks.subscriptions WHERE name = 'victim';

SELECT CASE WHEN expected IS NULL
            THEN matches(public.leaks(stmt), '^clean: ', what || ': no secret, header value or URL password in the error')
            ELSE is(public.leaks(stmt), expected, what || ': no secret, header value or URL password; the message names the field') END
  FROM bad;

-- every NOT NULL column, set to NULL by an UPDATE
SELECT is(public.leaks(format('UPDATE webhooks.subscriptions SET %I = NULL WHERE name = %L', attname, 'victim')),
          format('clean: %s may not be NULL', attname), format('NULL %s: the message names the column, no secret', attname))
  FROM pg_attribute
 WHERE attrelid = 'webhooks.subscriptions'::regclass AND attnum > 0 AND NOT attisdropped AND attnotnull AND attidentity = ''
 ORDER BY attnum;

SELECT is((SELECT count(*) FROM webhooks.subscriptions), 2::bigint, 'nothing was written by the failed statements');
SELECT is((SELECT secret FROM webhooks.subscriptions WHERE name = 'victim'), 'whsec_' || encode(sha256('victim'), 'base64'),
          'the victim''s secret is unchanged');
SELECT is((SELECT url FROM webhooks.subscriptions WHERE name = 'victim'),
          'https://ops:pw-URL-SECRET@hooks.example/in?token=pw-URL-SECRET', 'only subscriptions.url keeps the URL as written');

SELECT * FROM finish();
ROLLBACK;

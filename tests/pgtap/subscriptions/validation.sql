-- Subscriptions refuse bad input with clear messages (contract §4): URL,
-- patterns, supplied secrets, headers, retry schedule.
BEGIN;
SELECT plan(22);

CREATE FUNCTION pg_temp.add(url text, patterns text[], extra text DEFAULT '') RETURNS text LANGUAGE sql AS $$
    SELECT format('INSERT INTO webhooks.subscriptions (name, url, event_types%s) VALUES (%L, %L, %L%s)',
                  CASE WHEN extra = '' THEN '' ELSE ', ' || split_part(extra, '=', 1) END,
                  'sub-' || md5(random()::text), url, patterns,
                  CASE WHEN extra = '' THEN '' ELSE ', ' || substr(extra, strpos(extra, '=') + 1) END)
$$;

SELECT lives_ok(pg_temp.add('https://example.com/hook', '{order.created}'), 'https URL with a host is accepted');
SELECT lives_ok(pg_temp.add('http://127.0.0.1:8080/x?y=1', '{order.*}'), 'http URL with address and port is accepted');
SELECT lives_ok(pg_temp.add('https://[::1]/x', '{order.>}'), 'IPv6 literal host is accepted');
SELECT lives_ok(pg_temp.add('https://example.com', '{>,*,a.*.c}'), 'wildcard patterns are accepted');

-- Invalid input: URLs
SELECT throws_ok(pg_temp.add('ftp://example.com/', '{a}'), '23514',
    'url "ftp://example.com/" is invalid: only http:// and https:// URLs are accepted', 'other schemes are refused');
SELECT throws_ok(pg_temp.add('https:///path', '{a}'), '23514',
    'url "https:///path" is invalid: it needs a host name or address', 'a URL without host is refused');
SELECT throws_ok(pg_temp.add('/relative', '{a}'), '23514', NULL, 'a relative URL is refused');
SELECT throws_ok(pg_temp.add('https://exa mple.com/', '{a}'), '23514',
    'url "https://exa mple.com/" is invalid: it contains white space', 'white space is refused');

-- Invalid input: patterns
SELECT throws_ok(pg_temp.add('https://example.com', '{}'), '23514',
    'event_types must list at least one pattern', 'an empty pattern list is refused');
SELECT throws_ok(pg_temp.add('https://example.com', '{Order.Created}'), '23514',
    'pattern "Order.Created" is invalid: use dot-separated segments of [a-z0-9_-], "*" for one segment, ">" as the last segment for one or more',
    'an upper-case pattern is refused');
SELECT throws_ok(pg_temp.add('https://example.com', '{order.>.x}'), '23514', NULL, '">" before the last segment is refused');
SELECT throws_ok(pg_temp.add('https://example.com', '{order.*x}'), '23514', NULL, '"*" inside a segment is refused');
SELECT throws_ok(pg_temp.add('https://example.com', ARRAY[repeat('a', 127) || '.*']), '23514',
    format('pattern "%s" can never match: event type names are at most 128 characters', repeat('a', 127) || '.*'),
    'a pattern longer than any valid name is refused');
SELECT throws_ok(pg_temp.add('https://example.com', '{ok,""}'), '23514', 'a pattern may not be empty', 'an empty pattern is refused');

-- Invalid input: secrets
SELECT throws_ok(pg_temp.add('https://example.com', '{a}', 'secret=''sk_abc'''), '23514',
    'secret must start with "whsec_" followed by base64 of 24 to 64 random bytes', 'a secret without whsec_ is refused');
SELECT throws_ok(pg_temp.add('https://example.com', '{a}', 'secret=''whsec_' || encode('short', 'base64') || ''''), '23514',
    'secret decodes to 5 bytes; it must be 24 to 64', 'a short secret is refused');
SELECT throws_ok(pg_temp.add('https://example.com', '{a}', 'secret=''whsec_!!!!'''), '23514',
    'secret is not valid base64 after "whsec_"', 'a secret that is not base64 is refused');
SELECT lives_ok(pg_temp.add('https://example.com', '{a}', 'secret=''whsec_' || encode(decode(repeat('ab', 24), 'hex'), 'base64') || ''''),
    'a supplied 24-byte secret is accepted');

-- Invalid input: headers and schedule
SELECT throws_ok(pg_temp.add('https://example.com', '{a}', 'headers=''{"Webhook-Signature": "x"}'''), '23514',
    'header "Webhook-Signature" may not be set: it is reserved or not a valid header name', 'signature headers cannot be overridden');
SELECT throws_ok(pg_temp.add('https://example.com', '{a}', 'headers=''{"x-n": 1}'''), '23514',
    'header "x-n" must be a string', 'header values must be strings');
SELECT throws_ok(pg_temp.add('https://example.com', '{a}', 'headers=''["x"]'''), '23514',
    'headers must be a JSON object of strings', 'headers must be an object');
SELECT throws_ok(pg_temp.add('https://example.com', '{a}', 'retry_schedule=''{5s,-1s}'''), '23514',
    'retry_schedule may hold only non-negative intervals', 'negative delays are refused');

SELECT * FROM finish();
ROLLBACK;

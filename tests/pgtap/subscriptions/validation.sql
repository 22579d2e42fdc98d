-- Subscriptions refuse bad input with messages a person understands
-- (contract §4, issue 11): each names the field, the value's problem and the
-- allowed range, never a constraint name or an engine error. URL (scheme,
-- host, port, white space, control characters, length), patterns, supplied
-- secrets, headers (reserved names, control bytes), retry schedule (number
-- of delays, each delay's range), timeout, max_in_flight, circuit_threshold,
-- names. On UPDATE only changed values are checked, so a row written under
-- older rules keeps working.
BEGIN;
SELECT plan(49);

CREATE FUNCTION pg_temp.add(url text, patterns text[], extra text DEFAULT '') RETURNS text LANGUAGE sql AS $$
    SELECT format('INSERT INTO webhooks.subscriptions (name, url, event_types%s) VALUES (%L, %L, %L%s)',
                  CASE WHEN extra = '' THEN '' ELSE ', ' || split_part(extra, '=', 1) END,
                  'sub-' || md5(random()::text), url, patterns,
                  CASE WHEN extra = '' THEN '' ELSE ', ' || substr(extra, strpos(extra, '=') + 1) END)
$$;
CREATE FUNCTION pg_temp.opt(extra text) RETURNS text LANGUAGE sql AS $$
    SELECT pg_temp.add('https://example.com/hook', '{a}', extra)
$$;

SELECT lives_ok(pg_temp.add('https://example.com/hook', '{order.created}'), 'https URL with a host is accepted');
SELECT lives_ok(pg_temp.add('http://127.0.0.1:8080/x?y=1', '{order.*}'), 'http URL with address and port is accepted');
SELECT lives_ok(pg_temp.add('https://[::1]:65535/x', '{order.>}'), 'IPv6 literal host and port 65535 are accepted');
SELECT lives_ok(pg_temp.add('https://example.com', '{>,*,a.*.c}'), 'wildcard patterns are accepted');

-- Invalid input: URLs
SELECT throws_ok(pg_temp.add('ftp://example.com/', '{a}'), '23514',
    'url is invalid: the scheme "ftp" is not accepted; only http:// and https:// URLs are', 'other schemes are refused');
SELECT throws_ok(pg_temp.add('https:///path', '{a}'), '23514',
    'url "https:///path" is invalid: it needs a host name or address', 'a URL without host is refused');
SELECT throws_ok(pg_temp.add('/relative', '{a}'), '23514',
    'url is invalid: it is not an absolute URL; only http:// and https:// URLs are accepted', 'a relative URL is refused');
SELECT throws_ok(pg_temp.add('https://exa mple.com/', '{a}'), '23514',
    'url "https://exa mple.com/" is invalid: it contains white space', 'white space is refused');
SELECT throws_ok(pg_temp.add('https://example.com:70000/h', '{a}'), '23514',
    'url "https://example.com:70000/h" is invalid: port 70000 is out of range (1 to 65535)', 'a port above 65535 is refused');
SELECT throws_ok(pg_temp.add('https://u:pw@example.com:0/h?token=abc', '{a}'), '23514',
    'url "https://***@example.com:0/h?token=***" is invalid: port 0 is out of range (1 to 65535)',
    'port 0 is refused, and the message hides the URL''s credentials and query values');
SELECT throws_ok(pg_temp.add(E'https://example.com/h\x01x', '{a}'), '23514',
    'url is invalid: it contains a control character (a line break, tab or other non-printing character)',
    'a control character is refused');
SELECT throws_ok(pg_temp.add('https://example.com/' || repeat('a', 3000), '{a}'), '23514',
    'url is 3020 characters long; at most 2048 are accepted', 'an absurdly long URL is refused');
SELECT throws_ok(pg_temp.add(NULL, '{a}'), '23502', 'url may not be NULL', 'a NULL url is refused by name');

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
SELECT throws_ok(pg_temp.opt('secret=''sk_abc'''), '23514',
    'secret must start with "whsec_" followed by base64 of 24 to 64 random bytes', 'a secret without whsec_ is refused');
SELECT throws_ok(pg_temp.opt('secret=''whsec_' || encode('short', 'base64') || ''''), '23514',
    'secret decodes to 5 bytes; it must be 24 to 64', 'a short secret is refused');
SELECT throws_ok(pg_temp.opt('secret=''whsec_!!!!'''), '23514',
    'secret is not valid base64 after "whsec_"', 'a secret that is not base64 is refused');
SELECT lives_ok(pg_temp.opt('secret=''whsec_' || encode(decode(repeat('ab', 24), 'hex'), 'base64') || ''''),
    'a supplied 24-byte secret is accepted');

-- Invalid input: headers (reserved names: tests/pgtap/subscriptions/reserved_headers.sql)
SELECT throws_ok(pg_temp.opt('headers=''{"Webhook-Signature": "x"}'''), '23514',
    'header "Webhook-Signature" may not be set: the worker sets it or it belongs to the connection (reserved: '
    || array_to_string(webhooks.reserved_headers(), ', ') || ')', 'signature headers cannot be overridden');
SELECT throws_ok(pg_temp.opt('headers=''{"User-Agent": "x"}'''), '23514', NULL, 'user-agent is refused (the worker would drop it)');
SELECT throws_ok(pg_temp.opt('headers=''{"x-n": 1}'''), '23514',
    'header "x-n" must have a string value, not a JSON number', 'header values must be strings');
SELECT throws_ok(pg_temp.opt('headers=''["x"]'''), '23514',
    'headers must be a JSON object of strings, such as {"authorization": "Bearer ..."}; got a JSON array', 'headers must be an object');
SELECT throws_ok(pg_temp.opt('headers=''{"x-a": "one\r\nx-b: two"}'''), '23514',
    'header "x-a" has a value with a control character (line break or other non-printing character); only printable text and tab are allowed',
    'a line break in a header value is refused');
SELECT throws_ok(pg_temp.opt('headers=''{"x-a": "bell\u0007"}'''), '23514', NULL, 'any control byte in a header value is refused');
SELECT lives_ok(pg_temp.opt('headers=''{"x-a": "tab\tok"}'''), 'a tab in a header value is allowed (HTTP allows it)');
SELECT throws_ok(pg_temp.opt('headers=''{"bad name": "x"}'''), '23514',
    'header name ''bad name'' is invalid: use letters, digits and !#$%&''*+-.^_`|~ only', 'an invalid header name is refused');

-- Invalid input: retry schedule
SELECT throws_ok(pg_temp.opt('retry_schedule=''{5s,-1s}'''), '23514',
    'retry_schedule[2] is -00:00:01; each delay must be between 0 and 7 days', 'negative delays are refused');
SELECT throws_ok(pg_temp.opt('retry_schedule=''{1000 years}'''), '23514',
    'retry_schedule[1] is 1000 years; each delay must be between 0 and 7 days', 'a delay of 1000 years is refused');
SELECT throws_ok(pg_temp.opt('retry_schedule=array_fill(''1s''::interval, ARRAY[10000])'), '23514',
    'retry_schedule has 10000 delays; at most 50 are allowed (51 attempts in all)', '10,000 delays are refused');
SELECT lives_ok(pg_temp.opt('retry_schedule=array_fill(''7 days''::interval, ARRAY[50])'), '50 delays of 7 days are accepted');
SELECT lives_ok(pg_temp.opt('retry_schedule=''{}'''), 'an empty schedule (no retries) is accepted');
SELECT throws_ok(pg_temp.opt('retry_schedule=''{{1s,2s},{3s,4s}}'''), '23514',
    'retry_schedule must be a plain list of delays, such as ''{5s,5min,30min}''', 'a two-dimensional schedule is refused');

-- Invalid input: numbers and names
SELECT throws_ok(pg_temp.opt('timeout=''10 min'''), '23514',
    'timeout 00:10:00 is out of range: it must be between 1 millisecond and 5 minutes', 'a timeout over 5 minutes is refused');
SELECT throws_ok(pg_temp.opt('timeout=''0'''), '23514', NULL, 'a zero timeout is refused');
SELECT throws_ok(pg_temp.opt('max_in_flight=0'), '23514',
    'max_in_flight 0 is out of range: it must be between 1 and 100000 concurrent requests', 'max_in_flight 0 is refused');
SELECT throws_ok(pg_temp.opt('circuit_threshold=-1'), '23514',
    'circuit_threshold -1 is out of range: it must be between 1 and 1000000 consecutive failures', 'a negative circuit_threshold is refused');
SELECT throws_ok($$INSERT INTO webhooks.subscriptions (name, url, event_types) VALUES ('  ', 'https://a.example', '{a}')$$, '23514',
    'name may not be blank', 'a blank name is refused');
SELECT throws_ok($$INSERT INTO webhooks.subscriptions (name, url, event_types) VALUES (NULL, 'https://a.example', '{a}')$$, '23502',
    'name may not be NULL', 'a NULL name is refused by name');
SELECT throws_ok($$INSERT INTO webhooks.subscriptions (name, url, event_types) VALUES (E'a\nb', 'https://a.example', '{a}')$$, '23514',
    'name may not contain control characters (line breaks, tabs)', 'a name with a line break is refused');

INSERT INTO webhooks.subscriptions (name, url, event_types) VALUES ('taken', 'https://a.example', '{a}');
SELECT throws_ok($$INSERT INTO webhooks.subscriptions (name, url, event_types) VALUES ('taken', 'https://b.example', '{a}')$$, '23505',
    'a subscription named "taken" already exists', 'a taken name is refused with a sentence');

-- UPDATE: the same rules for changed values
SELECT throws_ok($$UPDATE webhooks.subscriptions SET timeout = '1 hour' WHERE name = 'taken'$$, '23514',
    'timeout 01:00:00 is out of range: it must be between 1 millisecond and 5 minutes', 'an UPDATE is checked too');
SELECT throws_ok($$UPDATE webhooks.subscriptions SET name = '' WHERE name = 'taken'$$, '23514',
    'name may not be blank', 'renaming to blank is refused');

-- a row written before these rules (here: with triggers bypassed) keeps working
SET LOCAL session_replication_role = replica;
INSERT INTO webhooks.subscriptions (name, url, event_types, retry_schedule) VALUES ('old', 'https://a.example:99999', '{a}', '{1000 years}');
SET LOCAL session_replication_role = origin;
SELECT lives_ok($$UPDATE webhooks.subscriptions SET enabled = false, max_in_flight = 3, last_claimed_at = now() WHERE name = 'old'$$,
    'an older row''s other columns can still be updated (the worker''s writes never fail on it)');
SELECT throws_ok($$UPDATE webhooks.subscriptions SET retry_schedule = '{2000 years}' WHERE name = 'old'$$, '23514', NULL,
    'but a new out-of-range value is refused');

SELECT * FROM finish();
ROLLBACK;

-- One source of truth (issue 9): record's outcome classes, 410 pause,
-- Retry-After cap and response capture size are those of
-- tests/data/delivery-rules.json, which the worker's GoogleTest reads too.
-- Change a rule there and this test fails until the SQL follows.
\set rules `cat "$WEBHOOKS_ROOT/tests/data/delivery-rules.json"`
BEGIN;
SELECT plan(9);

CREATE TEMP TABLE rules AS SELECT :'rules'::jsonb AS j;
-- a status is in a class when the class lists it, or a [low, high] range holding it; null = no response
CREATE FUNCTION pg_temp.listed(class jsonb, status int) RETURNS boolean LANGUAGE sql AS $$
    SELECT coalesce(bool_or(CASE jsonb_typeof(x) WHEN 'null' THEN status IS NULL
                                                 WHEN 'number' THEN status = x::int
                                                 WHEN 'array' THEN status BETWEEN (x->>0)::int AND (x->>1)::int END), false)
      FROM jsonb_array_elements(class) x
$$;
CREATE TEMP TABLE codes AS
SELECT row_number() OVER () AS n, s AS status_code,
       CASE WHEN pg_temp.listed((SELECT j->'outcome_classes'->'delivered' FROM rules), s) THEN 'delivered'
            WHEN pg_temp.listed((SELECT j->'outcome_classes'->'retry' FROM rules), s) THEN 'retrying'
            ELSE 'failed' END AS expected
  FROM unnest(ARRAY[NULL, 100, 101, 199, 200, 201, 204, 226, 299, 300, 301, 302, 304, 307, 399, 400, 401, 403, 404,
                    405, 407, 408, 409, 411, 413, 418, 422, 425, 428, 429, 431, 451, 499, 500, 501, 502, 503, 504,
                    507, 511, 599, 600, 799, 999]::int[]) s;

SELECT is((SELECT count(*) FROM codes WHERE expected = 'retrying'), 11::bigint, 'the rules file was read (11 sample statuses retry)');
SELECT is((SELECT count(*) FROM codes WHERE webhooks.outcome_class(status_code) <>
                  CASE expected WHEN 'delivered' THEN 'delivered' WHEN 'retrying' THEN 'retry' ELSE 'fail' END), 0::bigint,
          'webhooks.outcome_class agrees with outcome_classes for every sample status');

-- record itself, one message per sample status (410 aside: it pauses)
INSERT INTO webhooks.event_types (name) VALUES ('order.created');
INSERT INTO webhooks.subscriptions (name, url, event_types, circuit_threshold, retry_schedule, max_in_flight)
VALUES ('shop', 'https://shop.example/hook', '{order.created}', 1000, '{1 min}', 1000),
       ('gone', 'https://gone.example/hook', '{order.created}', 1000, '{1 min}', 1);
INSERT INTO webhooks.events (event_type, payload) SELECT 'order.created', jsonb_build_object('n', n) FROM codes;
CREATE TEMP TABLE c AS
SELECT c.*, (e.payload->>'n')::int AS n
  FROM webhooks.claim('t', 1000, '1 min', ARRAY(SELECT id FROM webhooks.subscriptions WHERE name = 'gone')) c
  JOIN webhooks.events e ON e.id = c.event_id;
SELECT webhooks.record('t', (SELECT jsonb_agg(jsonb_build_object('lease_token', c.lease_token, 'message_id', c.message_id,
                                                                  'status_code', codes.status_code, 'duration_ms', 1,
                                                                  'response', CASE WHEN codes.n = 1 THEN repeat('x', 3000)
                                                                                   WHEN codes.n = 2 THEN repeat('é', 3000) END,
                                                                  'retry_after_s', CASE WHEN codes.status_code = 429
                                                                      THEN 10 * (SELECT (j->>'retry_after_cap_seconds')::int FROM rules) END))
                               FROM c JOIN codes ON codes.n = c.n));
SELECT is((SELECT count(*) FROM codes JOIN c ON c.n = codes.n
             LEFT JOIN webhooks.deliveries d ON d.event_id = c.event_id AND d.subscription_id = c.subscription_id
            WHERE d.outcome IS DISTINCT FROM codes.expected), 0::bigint,
          'record logs each sample status with the outcome its class gives');
SELECT is((SELECT count(*) FROM codes JOIN c ON c.n = codes.n
             LEFT JOIN webhooks.messages m ON m.id = c.message_id
            WHERE (codes.expected = 'delivered') <> (m.id IS NULL)
               OR (codes.expected = 'failed' AND m.state <> 'failed')
               OR (codes.expected = 'retrying' AND m.state <> 'pending')), 0::bigint,
          'and moves each message accordingly (delivered gone, retrying pending, failed failed)');
SELECT is((SELECT m.next_attempt_at - now() FROM webhooks.messages m JOIN c ON c.message_id = m.id JOIN codes ON codes.n = c.n
            WHERE codes.status_code = 429),
          make_interval(secs => (SELECT (j->>'retry_after_cap_seconds')::int FROM rules)),
          'a Retry-After beyond the cap is cut to retry_after_cap_seconds');
SELECT is((SELECT octet_length(d.response) FROM webhooks.deliveries d JOIN c ON c.event_id = d.event_id WHERE c.n = 1 AND d.subscription_id = c.subscription_id),
          (SELECT (j->>'response_capture_bytes')::int FROM rules), 'response_capture_bytes of an ASCII response are kept');
SELECT ok((SELECT octet_length(d.response) BETWEEN (SELECT (j->>'response_capture_bytes')::int - 1 FROM rules)
                                             AND (SELECT (j->>'response_capture_bytes')::int FROM rules)
             FROM webhooks.deliveries d JOIN c ON c.event_id = d.event_id WHERE c.n = 2 AND d.subscription_id = c.subscription_id),
          'of a multi-byte one, at most that many bytes, cut at a character boundary');

-- pauses_subscription
CREATE TEMP TABLE g AS SELECT * FROM webhooks.claim('t', 10, '1 min') WHERE subscription_name = 'gone';
SELECT webhooks.record('t', (SELECT jsonb_agg(jsonb_build_object('lease_token', lease_token, 'message_id', message_id,
                                                                  'status_code', (SELECT (j->'outcome_classes'->'pauses_subscription'->>0)::int FROM rules)))
                               FROM g));
SELECT is((SELECT state FROM webhooks.subscription_status WHERE name = 'gone'), 'paused', 'the pausing status pauses the subscription');
SELECT is((SELECT count(*) FROM g), 1::bigint, 'one message was claimed for it');

SELECT * FROM finish();
ROLLBACK;

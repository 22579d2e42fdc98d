-- Operational events that help (issue 11): a 410 Gone pause publishes
-- webhooks.subscription.paused; webhooks.message.failed is coalesced per
-- subscription over webhooks.failed_alert_window (a count and the last
-- error) instead of one per message; payloads carry the last response status
-- and its first bytes; URLs are shown redacted (contract §9).
BEGIN;
SELECT plan(13);

INSERT INTO webhooks.event_types (name) VALUES ('order.created');
INSERT INTO webhooks.subscriptions (name, url, event_types, circuit_threshold, retry_schedule, max_in_flight)
VALUES ('alerts', 'https://alerts.example/hook', '{webhooks.>}', 100, '{1 min}', 64),
       ('shop', 'https://user:pw@shop.example/hook?token=abc', '{order.created}', 100, '{}', 1),
       ('gone', 'https://gone.example/hook?key=s3cret', '{order.created}', 100, '{1 min}', 1),
       ('flaky', 'https://flaky.example/hook', '{order.created}', 1, '{1 min}', 1);
INSERT INTO webhooks.events (event_type, payload) SELECT 'order.created', jsonb_build_object('n', g) FROM generate_series(1, 4) g;

CREATE FUNCTION pg_temp.answer(sub text, status int, response text) RETURNS int LANGUAGE sql AS $$
    SELECT webhooks.record('t', (SELECT jsonb_agg(jsonb_build_object('lease_token', lease_token, 'message_id', message_id,
                                                                      'status_code', status, 'duration_ms', 1, 'response', response))
                                   FROM webhooks.claim('t', 100, '1 min', ARRAY(SELECT id FROM webhooks.subscriptions WHERE name <> sub))));
$$;
CREATE FUNCTION pg_temp.about(sub text, kind text) RETURNS SETOF jsonb LANGUAGE sql AS $$
    SELECT e.payload FROM webhooks.events e WHERE e.event_type = kind
       AND e.about_subscription_id = (SELECT id FROM webhooks.subscriptions WHERE name = sub) ORDER BY e.created_at, e.id;
$$;

-- three final failures of shop, one after the other, within the window
SELECT pg_temp.answer('shop', 404, 'no such hook');
SELECT pg_temp.answer('shop', 404, 'no such hook');
SELECT pg_temp.answer('shop', 400, 'bad request: ' || repeat('x', 500));
SELECT is((SELECT count(*) FROM pg_temp.about('shop', 'webhooks.message.failed')), 1::bigint,
          'three failed messages, one message.failed in the window (0.1.0: one per message)');
SELECT is((SELECT p->>'count' FROM pg_temp.about('shop', 'webhooks.message.failed') p), '1', 'it counts the first failure');
SELECT is((SELECT p->>'url' FROM pg_temp.about('shop', 'webhooks.message.failed') p), 'https://***@shop.example/hook?token=***',
          'its URL is redacted');
-- the window is over: the next failure reports all three since
UPDATE webhooks.subscription_health SET failed_reported_at = now() - interval '10 min'
 WHERE subscription_id = (SELECT id FROM webhooks.subscriptions WHERE name = 'shop');
SELECT pg_temp.answer('shop', 422, 'unprocessable');
SELECT is((SELECT count(*) FROM pg_temp.about('shop', 'webhooks.message.failed')), 2::bigint, 'after the window, the next one');
SELECT results_eq($$SELECT (p->>'count')::int, (p->>'status_code')::int, p->>'error', p->>'response'
                      FROM pg_temp.about('shop', 'webhooks.message.failed') p WHERE p->>'count' <> '1'$$,
                  $$VALUES (3, 422, NULL::text, 'unprocessable'::text)$$,
                  'it counts the failures since the previous one and carries the last status and response');
SELECT ok((SELECT p ? 'event_type' AND p ? 'message_id' AND p ? 'attempts' FROM pg_temp.about('shop', 'webhooks.message.failed') p WHERE p->>'count' <> '1'),
          'and names the last failed message');

-- 410 Gone: paused, and an event says so
SELECT pg_temp.answer('gone', 410, 'this hook is gone for good');
SELECT is((SELECT state FROM webhooks.subscription_status WHERE name = 'gone'), 'paused', '410 pauses the subscription');
SELECT is((SELECT count(*) FROM pg_temp.about('gone', 'webhooks.subscription.paused')), 1::bigint, 'one subscription.paused');
SELECT results_eq($$SELECT p->>'url', (p->>'status_code')::int, p->>'response', p->>'reason' FROM pg_temp.about('gone', 'webhooks.subscription.paused') p$$,
                  $$VALUES ('https://gone.example/hook?key=***'::text, 410, 'this hook is gone for good'::text, 'gone'::text)$$,
                  'with the redacted URL, the status and the first bytes of the response');
SELECT webhooks.fan_out_queued();  -- what a worker's next claim does first
SELECT is((SELECT count(*) FROM webhooks.messages m JOIN webhooks.events e ON e.id = m.event_id
            WHERE e.event_type = 'webhooks.subscription.paused'
              AND m.subscription_id = (SELECT id FROM webhooks.subscriptions WHERE name = 'alerts')), 1::bigint,
          'it reaches the alerting subscription');
UPDATE webhooks.subscriptions SET enabled = true WHERE name = 'gone';
UPDATE webhooks.subscriptions SET enabled = false WHERE name = 'gone';
SELECT is((SELECT count(*) FROM pg_temp.about('gone', 'webhooks.subscription.paused')), 1::bigint,
          'an operator''s pause publishes nothing');

-- tripped: the last response status and first bytes, the URL redacted
UPDATE webhooks.subscriptions SET url = 'https://ops:hunter2@flaky.example/hook' WHERE name = 'flaky';
SELECT pg_temp.answer('flaky', 503, 'overloaded, try later');
SELECT results_eq($$SELECT p->>'url', (p->>'last_status_code')::int, p->>'last_response' FROM pg_temp.about('flaky', 'webhooks.subscription.tripped') p$$,
                  $$VALUES ('https://***@flaky.example/hook'::text, 503, 'overloaded, try later'::text)$$,
                  'tripped carries the redacted URL, the last status and response');
UPDATE webhooks.subscriptions SET enabled = true WHERE name = 'flaky';
SELECT is((SELECT p->>'url' FROM pg_temp.about('flaky', 'webhooks.subscription.recovered') p), 'https://***@flaky.example/hook',
          'recovered shows the URL redacted too');

SELECT * FROM finish();
ROLLBACK;

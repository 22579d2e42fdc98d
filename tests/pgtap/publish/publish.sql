-- webhooks.publish and INSERT INTO webhooks.events (contract §5): ids,
-- unknown types named in the error, the payload limit with both sizes,
-- idempotency keys, and a rolled-back publish leaving nothing.
BEGIN;
SELECT plan(14);

INSERT INTO webhooks.event_types (name) VALUES ('order.created'), ('order.paid');
INSERT INTO webhooks.subscriptions (name, url, event_types) VALUES ('s', 'https://a.example/h', '{order.>}');

SELECT isa_ok(webhooks.publish('order.created', '{"id": 1}'), 'uuid', 'publish returns');
SELECT is((SELECT payload FROM webhooks.events WHERE event_type = 'order.created'), '{"id": 1}'::jsonb, 'the payload is stored');
INSERT INTO webhooks.events (event_type, payload) VALUES ('order.paid', '{"id": 2}');
SELECT is(webhooks.fan_out_queued(), 2::bigint, 'direct INSERT fans out like publish (at the next claim: fan_out_queued)');

-- Invalid input: unknown type, missing payload, oversized payload
SELECT throws_ok($$SELECT webhooks.publish('order.shipped', '{}')$$, '23503',
    'unknown event type "order.shipped"', 'an unregistered type is refused by name');
SELECT throws_ok($$INSERT INTO webhooks.events (event_type, payload) VALUES ('nope', '{}')$$, '23503',
    'unknown event type "nope"', 'also on direct INSERT');
SELECT throws_ok($$SELECT webhooks.publish('order.created', NULL)$$, '23502', NULL, 'a NULL payload is refused');
INSERT INTO webhooks.settings VALUES ('webhooks.max_payload_bytes', 1024);
SELECT throws_ok(format('SELECT webhooks.publish(%L, %L)', 'order.created', jsonb_build_object('x', repeat('y', 2000))),
    '54000', 'payload of 2009 bytes exceeds the limit of 1024 bytes (webhooks.max_payload_bytes)', 'the error gives both sizes');
DELETE FROM webhooks.settings;
SELECT lives_ok(format('SELECT webhooks.publish(%L, %L)', 'order.created', jsonb_build_object('x', repeat('y', 200000))),
    'the default limit (1 MiB) admits 200 kB');

-- idempotency keys
SELECT is(webhooks.publish('order.paid', '{"n": 1}', 'key-1'), webhooks.publish('order.paid', '{"n": 2}', 'key-1'),
          'a repeated key returns the first id');
SELECT is((SELECT count(*) FROM webhooks.events WHERE idempotency_key = 'key-1'), 1::bigint, 'and publishes nothing new');
SELECT is((SELECT payload FROM webhooks.events WHERE idempotency_key = 'key-1'), '{"n": 1}'::jsonb, 'the first payload stands');
SELECT isnt(webhooks.publish('order.created', '{}', 'key-1'), webhooks.publish('order.paid', '{}', 'key-1'),
          'the same key under another type is another event');
INSERT INTO webhooks.events (event_type, payload, idempotency_key) VALUES ('order.paid', '{"n": 3}', 'key-1');
SELECT is((SELECT count(*) FROM webhooks.events WHERE event_type = 'order.paid' AND idempotency_key = 'key-1'), 1::bigint,
          'a direct INSERT with a seen key is skipped');

-- transactional: a rolled-back publish leaves nothing
SAVEPOINT before_publish;
SELECT webhooks.publish('order.created', '{"rolled": "back"}');
ROLLBACK TO SAVEPOINT before_publish;
SELECT is((SELECT count(*) FROM webhooks.events WHERE payload ? 'rolled') + (SELECT count(*) FROM webhooks.messages m
          JOIN webhooks.events e ON e.id = m.event_id WHERE e.payload ? 'rolled'), 0::bigint, 'a rolled-back publish leaves no event and no message');

SELECT * FROM finish();
ROLLBACK;

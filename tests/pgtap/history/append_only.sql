-- webhooks.deliveries and webhooks.events are append-only: UPDATE, DELETE
-- and TRUNCATE are refused with a clear error, even for their owner.
BEGIN;
SELECT plan(7);

INSERT INTO webhooks.event_types (name) VALUES ('a.b');
SELECT webhooks.publish('a.b', '{}');
INSERT INTO webhooks.deliveries (event_id, subscription_id, attempt, outcome) SELECT id, 1, 1, 'delivered' FROM webhooks.events;

SELECT throws_ok($$UPDATE webhooks.deliveries SET outcome = 'failed'$$, '42501',
    'webhooks.deliveries is append-only: UPDATE is not allowed', 'UPDATE of deliveries is refused (as superuser)');
SELECT throws_ok($$DELETE FROM webhooks.deliveries$$, '42501',
    'webhooks.deliveries is append-only: DELETE is not allowed', 'DELETE of deliveries is refused');
SELECT throws_ok($$TRUNCATE webhooks.deliveries$$, '42501',
    'webhooks.deliveries is append-only: TRUNCATE is not allowed', 'TRUNCATE of deliveries is refused');
SELECT throws_ok($$UPDATE webhooks.events SET payload = '{"x": 1}'$$, '42501',
    'webhooks.events is append-only: UPDATE is not allowed', 'UPDATE of events is refused');
SELECT throws_ok($$DELETE FROM webhooks.events$$, '42501',
    'webhooks.events is append-only: DELETE is not allowed', 'DELETE of events is refused');
SELECT is((SELECT count(*) FROM webhooks.deliveries), 1::bigint, 'the attempt is still on record');
SELECT is((SELECT count(*) FROM webhooks.events), 1::bigint, 'the event is still on record');

SELECT * FROM finish();
ROLLBACK;

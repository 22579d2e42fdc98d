-- webhooks.release gives a worker's own leases back without counting an
-- attempt (due again at once); webhooks.next_due tells an idle worker when a
-- claim could next return something: the earliest due message of an enabled
-- subscription with room, the earliest lease expiry of one at its
-- max_in_flight, a tripped one's probe time, never a paused one's; NULL
-- when nothing is queued; now while published events wait for their fan-out.
BEGIN;
SELECT plan(14);

INSERT INTO webhooks.event_types (name) VALUES ('order.created');
INSERT INTO webhooks.subscriptions (name, url, event_types, max_in_flight)
VALUES ('shop', 'https://shop.example/hook', '{order.created}', 2);
SELECT is(webhooks.next_due(), NULL, 'nothing queued: NULL');
INSERT INTO webhooks.events (event_type, payload) SELECT 'order.created', '{}' FROM generate_series(1, 3);
SELECT is(webhooks.next_due(), now(), 'events waiting for their fan-out are due now (a claim makes their messages)');
SELECT is(webhooks.fan_out_queued(), 3::bigint, 'three messages made');
UPDATE webhooks.messages SET next_attempt_at = now() + interval '10 s';
SELECT is(webhooks.next_due(), now() + interval '10 s', 'the earliest due message');
UPDATE webhooks.messages SET next_attempt_at = now() - interval '1 s';

CREATE TEMP TABLE c AS SELECT * FROM webhooks.claim('w1', 10, '1 min');
SELECT is((SELECT count(*) FROM c), 2::bigint, 'two claimed (max_in_flight 2)');
SELECT is(webhooks.next_due(), now() + interval '1 min', 'at max_in_flight: when the first lease runs out');

SELECT is(webhooks.release('w2', (SELECT lease_token FROM c LIMIT 1), (SELECT array_agg(message_id) FROM c)), 0,
          'another worker cannot release them, even with the token');
SELECT is(webhooks.release('w1', gen_random_uuid(), (SELECT array_agg(message_id) FROM c)), 0, 'nor can w1 with a made-up token');
SELECT is(webhooks.release('w1', (SELECT lease_token FROM c LIMIT 1), (SELECT array_agg(message_id) FROM c)), 2, 'w1 releases its two');
SELECT is(webhooks.record('w1', (SELECT jsonb_agg(jsonb_build_object('lease_token', lease_token, 'message_id', message_id, 'status_code', 200)) FROM c)),
          0, 'a result for a released message logs nothing (it was given back unsent)');
SELECT results_eq($$SELECT lease_token::text, attempts, next_attempt_at FROM webhooks.messages WHERE id IN (SELECT message_id FROM c)$$,
                  $$VALUES (NULL::text, 0, now()), (NULL, 0, now())$$, 'released: no lease, no attempt counted, due now');
SELECT is(webhooks.next_due(), now() - interval '1 s', 'room again: the earliest due message');

UPDATE webhooks.subscriptions SET enabled = false;
SELECT is(webhooks.next_due(), NULL, 'a paused subscription''s messages are never due');
UPDATE webhooks.subscriptions SET auto_disabled_at = now(), probe_at = now() + interval '5 min';
SELECT is(webhooks.next_due(), now() + interval '5 min', 'a tripped one''s probe time');

SELECT * FROM finish();
ROLLBACK;

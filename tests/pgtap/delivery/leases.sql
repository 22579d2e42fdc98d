-- Lease tokens (issues 8 and 9, contract §9). claim hands out one fresh,
-- unguessable token per call; record and release act only on (token,
-- message) pairs that claim handed to that worker_id. Every result for such a
-- pair gets exactly one deliveries row, whatever happened meanwhile
-- (discarded, delivered by another worker, subscription deleted), and a
-- repeated record logs nothing twice. Forged results are neither logged nor
-- applied. On 0.1.0, record trusted worker_id and any ids it was given.
BEGIN;
SELECT plan(20);

INSERT INTO webhooks.event_types (name) VALUES ('order.created');
INSERT INTO webhooks.subscriptions (name, url, event_types, circuit_threshold)
VALUES ('shop', 'https://shop.example/hook', '{order.created}', 100),
       ('crm', 'https://crm.example/hook', '{order.created}', 100);
INSERT INTO webhooks.events (event_type, payload) SELECT 'order.created', jsonb_build_object('n', g) FROM generate_series(1, 3) g;

CREATE FUNCTION pg_temp.results(t regclass, status int) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE j jsonb;
BEGIN
    EXECUTE format($q$SELECT jsonb_agg(jsonb_build_object('lease_token', lease_token, 'message_id', message_id,
                                                         'status_code', %s, 'duration_ms', 3)) FROM %s$q$, status, t) INTO j;
    RETURN j;
END $$;

CREATE TEMP TABLE a AS SELECT * FROM webhooks.claim('w1', 2, '1 min');
CREATE TEMP TABLE b AS SELECT * FROM webhooks.claim('w1', 100, '1 min');
SELECT is((SELECT count(DISTINCT lease_token) FROM a), 1::bigint, 'all rows of one claim share one token');
SELECT isnt((SELECT lease_token FROM a LIMIT 1), (SELECT lease_token FROM b LIMIT 1), 'each claim has its own token');
SELECT is((SELECT count(*) FROM webhooks.leases), 2::bigint, 'one lease row per claim');
SELECT is((SELECT subscription_name FROM a ORDER BY message_id LIMIT 1), (SELECT s.name FROM webhooks.subscriptions s
            JOIN a ON a.subscription_id = s.id ORDER BY a.message_id LIMIT 1), 'claim returns the subscription''s name');

-- forgeries: another worker with a real token; w1 with a made-up token; a real token with a message it never covered
SELECT is(webhooks.record('w2', pg_temp.results('a', 200)), 0, 'another worker''s token: nothing logged');
SELECT is(webhooks.record('w1', (SELECT jsonb_agg(jsonb_build_object('lease_token', gen_random_uuid(), 'message_id', message_id,
                                                                   'status_code', 200)) FROM a)),
          0, 'a made-up token: nothing logged');
SELECT is(webhooks.record('w1', (SELECT jsonb_agg(jsonb_build_object('lease_token', a.lease_token, 'message_id', b.message_id,
                                                                   'status_code', 200)) FROM a, b)),
          0, 'a real token with messages of another lease: nothing logged');
SELECT is(webhooks.record('w1', jsonb_build_array(jsonb_build_object('message_id', (SELECT min(message_id) FROM a), 'status_code', 200,
                                                                      'event_id', (SELECT event_id FROM a LIMIT 1),
                                                                      'subscription_id', (SELECT subscription_id FROM a LIMIT 1)))),
          0, 'the 0.1.0 encoding (no token, ids given by hand): nothing logged');
SELECT is((SELECT count(*) FROM webhooks.deliveries), 0::bigint, 'no row was logged');
SELECT is((SELECT count(*) FROM webhooks.messages WHERE lease_token IS NOT NULL), 6::bigint, 'and no message moved');

-- in flight while the operator discards: still logged, once
SELECT webhooks.discard_pending('crm');
SELECT is(webhooks.record('w1', pg_temp.results('a', 200)), 2, 'results for a, one of them discarded meanwhile, are logged');
SELECT is(webhooks.record('w1', pg_temp.results('a', 200)), 0, 'the same results again (commit in doubt): nothing twice');
SELECT is((SELECT count(*) FROM webhooks.deliveries), 2::bigint, 'one row per request');
SELECT ok((SELECT finished_at IS NOT NULL FROM webhooks.leases WHERE token = (SELECT lease_token FROM a LIMIT 1)),
          'a lease whose every message is recorded is finished');

-- a message of b delivered by another worker after b's lease was given up,
-- then the subscription deleted: b's late results are still logged with
-- b's event, subscription and attempt
UPDATE webhooks.messages SET lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = now() - interval '1 s'
 WHERE id IN (SELECT message_id FROM b);
CREATE TEMP TABLE w2 AS SELECT * FROM webhooks.claim('w2', 100, '1 min');
SELECT is(webhooks.record('w2', pg_temp.results('w2', 200)), 2, 'w2 delivers b''s two messages that were not discarded');
DELETE FROM webhooks.subscriptions WHERE name = 'crm';
SELECT is(webhooks.record('w1', pg_temp.results('b', 503)), (SELECT count(*)::int FROM b), 'w1''s late results are all logged');
SELECT results_eq($$SELECT d.event_id, d.subscription_id, d.attempt FROM webhooks.deliveries d WHERE d.worker_id = 'w1' AND d.status_code = 503 ORDER BY 1, 2$$,
                  $$SELECT event_id, subscription_id, attempt FROM b ORDER BY 1, 2$$,
                  'with the facts of w1''s own lease, the deleted subscription''s included');
SELECT ok((SELECT bool_and(error LIKE '%late result%') FROM webhooks.deliveries WHERE worker_id = 'w1' AND status_code = 503),
          'each says it came late');

-- housekeeping: finished leases go after 10 minutes, abandoned ones a day after they expired
UPDATE webhooks.leases SET claimed_at = claimed_at - interval '2 days', finished_at = finished_at - interval '2 days',
                           expires_at = expires_at - interval '2 days'
 WHERE worker_id = 'w1';
INSERT INTO webhooks.leases (token, worker_id, claimed_at, expires_at, message_ids, event_ids, subscription_ids, attempts)
VALUES (gen_random_uuid(), 'w9', now() - interval '20 min', now() - interval '19 min', '{1}', ARRAY[gen_random_uuid()], '{1}', '{1}');
SELECT is(webhooks.clean_leases(), 2::bigint, 'clean_leases removes the finished and the long-abandoned leases');
SELECT is((SELECT count(*) FROM webhooks.leases), 2::bigint, 'and keeps a recently expired unfinished one and w2''s fresh one');

SELECT * FROM finish();
ROLLBACK;

-- An expired lease makes a message claimable again (real time, committed
-- claims over dblink); the new claim is the same attempt; the first worker's
-- late result is logged, with the event, subscription and attempt of its own
-- lease, but does not move the message; an expired lease no longer counts
-- against max_in_flight. A lease always outlasts its subscription's timeout.
BEGIN;
SELECT plan(13);

CREATE FUNCTION pg_temp.conn() RETURNS text LANGUAGE sql AS $$
    SELECT format('dbname=%s host=%s port=%s user=%s', current_database(),
                  split_part(current_setting('unix_socket_directories'), ',', 1), current_setting('port'), current_user)
$$;
SELECT dblink_exec(pg_temp.conn(), $setup$
    INSERT INTO webhooks.event_types (name) VALUES ('order.created');
    INSERT INTO webhooks.subscriptions (name, url, event_types, max_in_flight, timeout)
    VALUES ('shop', 'https://shop.example/hook', '{order.created}', 1, '100 ms');
    INSERT INTO webhooks.events (event_type, payload) VALUES ('order.created', '{}');
$setup$);

CREATE TEMP TABLE c1 AS
SELECT * FROM dblink(pg_temp.conn(), $$SELECT lease_token, message_id, lease_expires_at - now() FROM webhooks.claim('w1', 10, '300 ms')$$)
    AS r(lease_token uuid, message_id bigint, lease interval);
SELECT is((SELECT count(*) FROM c1), 1::bigint, 'w1 claims the message');
SELECT is((SELECT lease FROM c1), interval '5.1 s', 'its lease outlasts the subscription''s timeout: 100 ms + 5 s, not the 300 ms asked');
SELECT dblink_exec(pg_temp.conn(), $$UPDATE webhooks.messages SET lease_expires_at = now() + interval '300 ms', next_attempt_at = now() + interval '300 ms'$$);
SELECT is((SELECT count(*) FROM dblink(pg_temp.conn(), $$SELECT message_id FROM webhooks.claim('w2', 10, '1 min')$$) AS r(m bigint)),
          0::bigint, 'while the lease runs, w2 gets nothing');
SELECT pg_sleep(0.4);
CREATE TEMP TABLE c2 AS
SELECT * FROM dblink(pg_temp.conn(), $$SELECT lease_token, message_id, attempt FROM webhooks.claim('w1', 10, '1 min')$$)
    AS r(lease_token uuid, message_id bigint, attempt int);
SELECT is((SELECT attempt FROM c2), 1,
          'after expiry w1 itself claims it again, as the same attempt 1 (max_in_flight 1: the expired lease no longer counts)');
SELECT isnt((SELECT lease_token FROM c2), (SELECT lease_token FROM c1), 'under a new lease token');

-- w1's late result for its first lease: logged, message not moved although w1 holds it again
SELECT is(webhooks.record('w1', (SELECT jsonb_agg(jsonb_build_object('lease_token', lease_token, 'message_id', message_id,
                                    'status_code', 500, 'duration_ms', 10000)) FROM c1)),
          1, 'the first lease''s late result is recorded');
SELECT results_eq($$SELECT state, attempts, lease_token FROM webhooks.messages$$,
                  $$SELECT 'pending'::text, 0, lease_token FROM c2$$, 'it did not move the message leased again');
SELECT alike((SELECT error FROM webhooks.deliveries), '%late result%', 'its log row says it came late');
SELECT results_eq($$SELECT d.event_id, d.subscription_id, d.attempt, d.worker_id FROM webhooks.deliveries d$$,
                  $$SELECT e.id, s.id, 1, 'w1'::text FROM webhooks.events e, webhooks.subscriptions s$$,
                  'with the event, subscription and attempt of that lease');
SELECT is((SELECT consecutive_failures FROM webhooks.subscriptions), 0, 'and it is not counted against the subscription');

-- the current lease delivers; a repeat of it (commit in doubt) logs nothing twice
SELECT is(webhooks.record('w1', (SELECT jsonb_agg(jsonb_build_object('lease_token', lease_token, 'message_id', message_id,
                                    'status_code', 200, 'duration_ms', 5)) FROM c2)), 1, 'the second lease delivers');
SELECT is(webhooks.record('w1', (SELECT jsonb_agg(x.j) FROM (
                                     SELECT jsonb_build_object('lease_token', lease_token, 'message_id', message_id,
                                                               'status_code', 200, 'duration_ms', 5) FROM c2
                                     UNION ALL
                                     SELECT jsonb_build_object('lease_token', lease_token, 'message_id', message_id,
                                                               'status_code', 500, 'duration_ms', 5) FROM c1) x(j))),
          0, 'both results again: nothing logged twice');
SELECT results_eq($$SELECT outcome, count(*) FROM webhooks.deliveries GROUP BY 1 ORDER BY 1$$,
                  $$VALUES ('delivered'::text, 1::bigint), ('retrying', 1)$$, 'one row per request');

SELECT * FROM finish();
ROLLBACK;

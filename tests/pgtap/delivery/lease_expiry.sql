-- An expired lease makes a message claimable again (real time, committed
-- claims over dblink); the new claim is the same attempt; the first worker's
-- late result is logged but does not move the message; an expired lease no
-- longer counts against max_in_flight.
BEGIN;
SELECT plan(9);

CREATE FUNCTION pg_temp.conn() RETURNS text LANGUAGE sql AS $$
    SELECT format('dbname=%s host=%s port=%s user=%s', current_database(),
                  split_part(current_setting('unix_socket_directories'), ',', 1), current_setting('port'), current_user)
$$;
SELECT dblink_exec(pg_temp.conn(), $setup$
    INSERT INTO webhooks.event_types (name) VALUES ('order.created');
    INSERT INTO webhooks.subscriptions (name, url, event_types, max_in_flight)
    VALUES ('shop', 'https://shop.example/hook', '{order.created}', 1);
    INSERT INTO webhooks.events (event_type, payload) VALUES ('order.created', '{}');
$setup$);

SELECT is((SELECT count(*) FROM dblink(pg_temp.conn(), $$SELECT * FROM webhooks.claim('w1', 10, '300 ms')$$)
                                AS r(a bigint, b uuid, c bigint, d int, e text, f text[], g jsonb, h text, i int, j timestamptz)),
          1::bigint, 'w1 claims the message for 300 ms');
SELECT is((SELECT count(*) FROM dblink(pg_temp.conn(), $$SELECT * FROM webhooks.claim('w2', 10, '1 min')$$)
                                AS r(a bigint, b uuid, c bigint, d int, e text, f text[], g jsonb, h text, i int, j timestamptz)),
          0::bigint, 'while the lease runs, w2 gets nothing');
SELECT pg_sleep(0.4);
SELECT is((SELECT attempt FROM dblink(pg_temp.conn(), $$SELECT attempt FROM webhooks.claim('w2', 10, '1 min')$$) AS r(attempt int)),
          1, 'after expiry w2 claims it, as the same attempt 1 (max_in_flight 1: the expired lease no longer counts)');
SELECT is((SELECT lease_owner FROM webhooks.messages), 'w2', 'w2 holds the lease now');

-- w1's late result: logged, message not moved
SELECT is(webhooks.record('w1', (SELECT jsonb_build_array(jsonb_build_object('message_id', id, 'attempt', 1,
                                    'status_code', 500, 'duration_ms', 10000)) FROM webhooks.messages)),
          1, 'w1''s late result is recorded');
SELECT results_eq($$SELECT state, attempts, lease_owner FROM webhooks.messages$$,
                  $$VALUES ('pending'::text, 0, 'w2'::text)$$, 'the late result did not move the message');
SELECT alike((SELECT error FROM webhooks.deliveries WHERE worker_id = 'w1'), '%late result%', 'its log row says it came late');
SELECT is((SELECT consecutive_failures FROM webhooks.subscriptions), 0, 'and it is not counted against the subscription');

-- w2 delivers; then w1's even later success for the vanished message is still logged (with the ids it passes)
SELECT webhooks.record('w2', (SELECT jsonb_build_array(jsonb_build_object('message_id', id, 'attempt', 1,
                                    'status_code', 200, 'duration_ms', 5)) FROM webhooks.messages));
SELECT is(webhooks.record('w1', (SELECT jsonb_build_array(jsonb_build_object('message_id', 999999, 'attempt', 1,
                                    'status_code', 200, 'duration_ms', 5, 'event_id', event_id, 'subscription_id', subscription_id))
                                   FROM webhooks.deliveries LIMIT 1)),
          1, 'a late result for a message that already left the outbox is logged with the ids the worker gave');

SELECT * FROM finish();
ROLLBACK;

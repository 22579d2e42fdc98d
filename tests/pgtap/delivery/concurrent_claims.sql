-- Two sessions claiming at the same time (real, committed transactions over
-- dblink) never get the same message, and between them claim everything.
-- Also: a claimer whose transaction is still open holds its subscriptions;
-- another claimer meanwhile takes the other subscriptions' messages.
BEGIN;
SELECT plan(5);

CREATE FUNCTION pg_temp.conn() RETURNS text LANGUAGE sql AS $$
    SELECT format('dbname=%s host=%s port=%s user=%s', current_database(),
                  split_part(current_setting('unix_socket_directories'), ',', 1), current_setting('port'), current_user)
$$;

SELECT dblink_exec(pg_temp.conn(), $setup$
    INSERT INTO webhooks.event_types (name) VALUES ('order.created');
    INSERT INTO webhooks.subscriptions (name, url, event_types, max_in_flight)
    SELECT 'sub' || g, 'https://s' || g || '.example/', '{order.created}', 1000 FROM generate_series(1, 4) g;
    INSERT INTO webhooks.events (event_type, payload) SELECT 'order.created', jsonb_build_object('n', g) FROM generate_series(1, 100) g;
    CREATE TABLE public.claimed (worker text, message_id bigint);
    CREATE PROCEDURE public.claim_loop(w text) LANGUAGE plpgsql AS $$
    BEGIN
        FOR i IN 1..300 LOOP
            INSERT INTO public.claimed SELECT w, c.message_id FROM webhooks.claim(w, 7, '10 min') c;
            COMMIT;
        END LOOP;
    END $$;
$setup$);

SELECT dblink_connect('a', pg_temp.conn());
SELECT dblink_connect('b', pg_temp.conn());
SELECT dblink_send_query('a', 'CALL public.claim_loop(''a'')');
SELECT dblink_send_query('b', 'CALL public.claim_loop(''b'')');
SELECT count(*) FROM dblink_get_result('a') AS r(x text);  -- wait for the CALL
SELECT count(*) FROM dblink_get_result('b') AS r(x text);
SELECT count(*) FROM dblink_get_result('a') AS r(x text);  -- and the end of its results
SELECT count(*) FROM dblink_get_result('b') AS r(x text);

SELECT is((SELECT count(*) FROM public.claimed), 400::bigint, 'all 400 messages were claimed');
SELECT is((SELECT count(DISTINCT message_id) FROM public.claimed), 400::bigint, 'no message was claimed twice');
SELECT ok((SELECT bool_and(lease_owner IN ('a', 'b')) FROM webhooks.messages), 'every message is leased to one of them');

-- an open claim transaction holds its subscriptions; the other claimer gets the rest
SELECT dblink_exec(pg_temp.conn(), $$UPDATE webhooks.messages SET lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = now() - interval '1s'$$);
SELECT dblink_exec('a', 'BEGIN');
SELECT * FROM dblink('a', $$SELECT count(*) FROM webhooks.claim('a', 2, '10 min')$$) AS r(n bigint);
SELECT is((SELECT n FROM dblink('b', $$SELECT count(*) FROM webhooks.claim('b', 1000, '10 min')$$) AS r(n bigint)),
          200::bigint, 'while a''s claim is uncommitted, b takes the two other subscriptions'' messages');
SELECT dblink_exec('a', 'COMMIT');
SELECT is((SELECT n FROM dblink('b', $$SELECT count(*) FROM webhooks.claim('b', 1000, '10 min')$$) AS r(n bigint)),
          198::bigint, 'after a commits, b takes what a left');

SELECT dblink_disconnect('a');
SELECT dblink_disconnect('b');
SELECT * FROM finish();
ROLLBACK;

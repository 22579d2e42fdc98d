-- max_in_flight is honoured across claimers: one after the other, and two
-- sessions racing in loops of committed claims (dblink); recording frees room.
BEGIN;
SELECT plan(5);

CREATE FUNCTION pg_temp.conn() RETURNS text LANGUAGE sql AS $$
    SELECT format('dbname=%s host=%s port=%s user=%s', current_database(),
                  split_part(current_setting('unix_socket_directories'), ',', 1), current_setting('port'), current_user)
$$;
SELECT dblink_exec(pg_temp.conn(), $setup$
    INSERT INTO webhooks.event_types (name) VALUES ('order.created');
    INSERT INTO webhooks.subscriptions (name, url, event_types, max_in_flight)
    VALUES ('shop', 'https://shop.example/hook', '{order.created}', 10);
    INSERT INTO webhooks.events (event_type, payload) SELECT 'order.created', '{}' FROM generate_series(1, 100);
    CREATE TABLE public.claimed (worker text, message_id bigint);
    CREATE PROCEDURE public.claim_loop(w text) LANGUAGE plpgsql AS $$
    BEGIN
        FOR i IN 1..200 LOOP
            INSERT INTO public.claimed SELECT w, c.message_id FROM webhooks.claim(w, 3, '10 min') c;
            COMMIT;
        END LOOP;
    END $$;
$setup$);

SELECT dblink_connect('a', pg_temp.conn());
SELECT dblink_connect('b', pg_temp.conn());
SELECT dblink_send_query('a', 'CALL public.claim_loop(''a'')');
SELECT dblink_send_query('b', 'CALL public.claim_loop(''b'')');
SELECT count(*) FROM dblink_get_result('a') AS r(x text);
SELECT count(*) FROM dblink_get_result('b') AS r(x text);
SELECT count(*) FROM dblink_get_result('a') AS r(x text);
SELECT count(*) FROM dblink_get_result('b') AS r(x text);
SELECT is((SELECT count(*) FROM public.claimed), 10::bigint, 'two racing claimers took exactly max_in_flight (10) between them');

-- one after the other
SELECT dblink_exec(pg_temp.conn(), $$UPDATE webhooks.messages SET lease_owner = NULL, lease_expires_at = NULL, lease_token = NULL, next_attempt_at = now() - interval '1s'$$);
SELECT is((SELECT count(*) FROM webhooks.claim('a', 6, '10 min')), 6::bigint, 'a claims 6 of 10');
SELECT is((SELECT count(*) FROM webhooks.claim('b', 100, '10 min')), 4::bigint, 'b gets only the 4 left under max_in_flight');
SELECT is((SELECT count(*) FROM webhooks.claim('b', 100, '10 min')), 0::bigint, 'then nothing');
SELECT webhooks.record('a', (SELECT jsonb_agg(jsonb_build_object('lease_token', lease_token, 'message_id', id, 'status_code', 200))
                               FROM webhooks.messages WHERE lease_owner = 'a'));
SELECT is((SELECT count(*) FROM webhooks.claim('b', 100, '10 min')), 6::bigint, 'recording a''s 6 frees 6 places');

SELECT dblink_disconnect('a');
SELECT dblink_disconnect('b');
SELECT * FROM finish();
ROLLBACK;

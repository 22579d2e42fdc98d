-- Two sessions publishing the same idempotency key at once make one event,
-- and both get its id; publishing commits a NOTIFY once messages exist.
-- Uses real commits through dblink (this file runs in a database of its own).
BEGIN;
SELECT plan(5);

SELECT dblink_connect('setup', format('dbname=%s port=%s', current_database(), current_setting('port')));
SELECT dblink_exec('setup', $$INSERT INTO webhooks.event_types (name) VALUES ('order.created')$$);
SELECT dblink_exec('setup', $$INSERT INTO webhooks.subscriptions (name, url, event_types) VALUES ('s', 'https://a.example/h', '{order.created}')$$);

SELECT dblink_connect('listener', format('dbname=%s port=%s', current_database(), current_setting('port')));
SELECT dblink_exec('listener', 'LISTEN webhooks');
-- publishers notify only while a worker waits (webhooks.worker_waiting)
SELECT * FROM dblink('listener', $$SELECT webhooks.worker_waiting('listener', true)::text$$) AS t(w text);

SELECT dblink_connect('a', format('dbname=%s port=%s', current_database(), current_setting('port')));
SELECT dblink_connect('b', format('dbname=%s port=%s', current_database(), current_setting('port')));
SELECT dblink_exec('a', 'BEGIN');
SELECT dblink_exec('b', 'BEGIN');
CREATE TEMP TABLE ids (who text, id uuid);
INSERT INTO ids SELECT 'a', id FROM dblink('a', $$SELECT webhooks.publish('order.created', '{"from": "a"}', 'same-key')$$) AS t(id uuid);
-- b blocks on a's key until a commits
SELECT dblink_send_query('b', $$SELECT webhooks.publish('order.created', '{"from": "b"}', 'same-key')$$);
SELECT pg_sleep(0.2);
SELECT is(dblink_is_busy('b'), 1, 'the second publisher waits for the first');
SELECT dblink_exec('a', 'COMMIT');
INSERT INTO ids SELECT 'b', id FROM dblink_get_result('b') AS t(id uuid);
SELECT count(*) FROM dblink_get_result('b') AS t(id uuid);  -- drain: the async query is done
SELECT dblink_exec('b', 'COMMIT');

SELECT is((SELECT count(DISTINCT id) FROM ids), 1::bigint, 'both publishers get the same event id');
SELECT is((SELECT count(*) FROM dblink('setup', $$SELECT 1 FROM webhooks.events WHERE idempotency_key = 'same-key'$$) AS t(x int)),
          1::bigint, 'one event was committed');
SELECT is((SELECT payload->>'from' FROM dblink('setup', $$SELECT payload FROM webhooks.events$$) AS t(payload jsonb)), 'a', 'the first publisher''s payload');

-- notifications reach the listener asynchronously: poll for up to 5 s
CREATE FUNCTION pg_temp.notified(conn text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..50 LOOP
        IF EXISTS (SELECT FROM dblink_get_notify(conn) WHERE notify_name = 'webhooks') THEN RETURN true; END IF;
        PERFORM pg_sleep(0.1);
    END LOOP;
    RETURN false;
END $$;
SELECT ok(pg_temp.notified('listener'), 'a committed publish notified the waiting listener');

SELECT dblink_disconnect(c) FROM unnest(ARRAY['setup', 'listener', 'a', 'b']) c;
SELECT * FROM finish();
ROLLBACK;

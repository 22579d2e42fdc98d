-- The wake-up protocol (issue 10, COMMON worker API): a publishing commit
-- NOTIFYs channel webhooks only while a worker has declared itself waiting
-- with webhooks.worker_waiting; a busy system's publishers never notify, so
-- they never take the cluster-wide NOTIFY commit lock. A waiting worker whose
-- connection is gone is cleaned up by the next worker_waiting call.
-- Real commits and LISTEN through dblink (this file's database is its own).
BEGIN;
SELECT plan(8);

CREATE FUNCTION pg_temp.dsn() RETURNS text LANGUAGE sql AS
    $$ SELECT format('dbname=%s port=%s', current_database(), current_setting('port')) $$;
SELECT dblink_connect('setup', pg_temp.dsn());
SELECT dblink_exec('setup', $$INSERT INTO webhooks.event_types (name) VALUES ('wake.tick')$$);
SELECT dblink_exec('setup', $$INSERT INTO webhooks.subscriptions (name, url, event_types) VALUES ('w', 'https://a.example/h', '{wake.tick}')$$);
SELECT dblink_connect('listener', pg_temp.dsn());
SELECT dblink_exec('listener', 'LISTEN webhooks');

-- publishes one event in a committed transaction, returns the notifications the listener got for it
CREATE FUNCTION pg_temp.publish_and_count() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    n bigint := 0;
BEGIN
    PERFORM count(*) FROM dblink_get_notify('listener');  -- drain
    PERFORM * FROM dblink('setup', $q$SELECT webhooks.publish('wake.tick', '{}')::text$q$) AS t(id text);
    FOR i IN 1..20 LOOP
        PERFORM pg_sleep(0.02);
        n := n + (SELECT count(*) FROM dblink_get_notify('listener') WHERE notify_name = 'webhooks');
    END LOOP;
    RETURN n;
END
$$;

SELECT is(pg_temp.publish_and_count(), 0::bigint, 'with no worker waiting, a publish sends no NOTIFY');
SELECT is((SELECT w FROM dblink('listener', $$SELECT webhooks.worker_waiting('w1', true)::text$$) AS t(w text)), '', 'a worker declares itself waiting');
SELECT is(pg_temp.publish_and_count(), 1::bigint, 'now a publish wakes it');
SELECT is((SELECT w FROM dblink('listener', $$SELECT webhooks.worker_waiting('w1', false)::text$$) AS t(w text)), '', 'the worker is busy again');
SELECT is(pg_temp.publish_and_count(), 0::bigint, 'and publishers stop notifying');

-- a worker that died while waiting
SELECT dblink_connect('doomed', pg_temp.dsn());
SELECT * FROM dblink('doomed', $$SELECT webhooks.worker_waiting('w2', true)::text$$) AS t(w text);
SELECT is((SELECT n FROM dblink('setup', 'SELECT count(*) FROM webhooks.waiting_workers') AS t(n bigint)), 1::bigint, 'w2 waits');
SELECT dblink_disconnect('doomed');
SELECT pg_sleep(0.2);
SELECT * FROM dblink('listener', $$SELECT webhooks.worker_waiting('w1', false)::text$$) AS t(w text);
SELECT is((SELECT n FROM dblink('setup', 'SELECT count(*) FROM webhooks.waiting_workers') AS t(n bigint)), 0::bigint,
          'its row is removed by the next worker_waiting call (its connection is gone)');
SELECT throws_ok($$SELECT webhooks.worker_waiting('', true)$$, '22023', 'worker_id may not be empty', 'an empty worker id is refused');

SELECT dblink_disconnect('listener');
SELECT dblink_disconnect('setup');
SELECT * FROM finish();
ROLLBACK;

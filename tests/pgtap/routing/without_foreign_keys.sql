-- The publishing path takes no foreign-key locks (issue 10): events and
-- messages have no foreign keys, and what those kept true still holds:
-- unknown types are refused by name, a type that events use cannot be
-- deleted, a deleted subscription's messages go with it (also one deleted
-- while another session publishes to it), and nothing is orphaned.
BEGIN;
SELECT plan(7);

SELECT is((SELECT count(*) FROM pg_constraint WHERE contype = 'f'
            AND conrelid IN ('webhooks.events'::regclass, 'webhooks.messages'::regclass)), 0::bigint,
          'events and messages have no foreign keys');

-- a publisher in flight while the subscription is deleted (real commits;
-- first, before this session holds any lock on events or messages)
CREATE FUNCTION pg_temp.dsn() RETURNS text LANGUAGE sql AS
    $$ SELECT format('dbname=%s port=%s', current_database(), current_setting('port')) $$;
SELECT dblink_connect('setup', pg_temp.dsn());
SELECT dblink_exec('setup', $$INSERT INTO webhooks.event_types (name) VALUES ('race.tick')$$);
SELECT dblink_exec('setup', $$INSERT INTO webhooks.subscriptions (name, url, event_types) VALUES ('race', 'https://a.example/h', '{race.tick}')$$);
SELECT dblink_connect('pub', pg_temp.dsn());
SELECT dblink_connect('del', pg_temp.dsn());
SELECT dblink_exec('pub', 'BEGIN');
SELECT * FROM dblink('pub', $$SELECT webhooks.publish('race.tick', '{}')::text$$) AS t(id text);
SELECT dblink_send_query('del', $$DELETE FROM webhooks.subscriptions WHERE name = 'race'$$);
SELECT pg_sleep(0.2);
SELECT dblink_exec('pub', 'COMMIT');
SELECT * FROM dblink_get_result('del') AS t(r text);
SELECT pg_sleep(0.1);
-- the fan-out (a worker's next claim) skips the subscription deleted since
SELECT * FROM dblink('setup', $$SELECT webhooks.fan_out_queued()::text$$) AS t(n text);
SELECT is((SELECT n FROM dblink('setup', $$SELECT count(*) FROM webhooks.messages m
                                           WHERE NOT EXISTS (SELECT FROM webhooks.subscriptions s WHERE s.id = m.subscription_id)$$) AS t(n bigint)),
          0::bigint, 'a message published while its subscription was being deleted is not left behind');
SELECT dblink_disconnect('pub');
SELECT dblink_disconnect('del');
SELECT dblink_disconnect('setup');

INSERT INTO webhooks.event_types (name) VALUES ('fk.used'), ('fk.unused');
INSERT INTO webhooks.subscriptions (name, url, event_types) VALUES ('a', 'https://a.example/h', '{fk.*}'),
                                                                   ('b', 'https://b.example/h', '{fk.*}');
SELECT webhooks.publish('fk.used', '{}');
SELECT webhooks.fan_out_queued();  -- its two messages, as a worker's next claim makes them
SELECT throws_ok($$DELETE FROM webhooks.event_types WHERE name = 'fk.used'$$, '23503',
    'event type "fk.used" is in use and cannot be deleted: published events name it', 'a used type cannot be deleted');
SELECT lives_ok($$DELETE FROM webhooks.event_types WHERE name = 'fk.unused'$$, 'an unused one can');
SELECT throws_ok($$SELECT webhooks.publish('fk.unused', '{}')$$, '23503', 'unknown event type "fk.unused"', 'and is then unknown');

DELETE FROM webhooks.subscriptions WHERE name = 'a';
SELECT is((SELECT count(*) FROM webhooks.messages m WHERE NOT EXISTS (SELECT FROM webhooks.subscriptions s WHERE s.id = m.subscription_id)),
          0::bigint, 'a deleted subscription''s messages go with it');
SELECT is((SELECT count(*) FROM webhooks.messages), 1::bigint, 'the other subscription keeps its message');

SELECT * FROM finish();
ROLLBACK;

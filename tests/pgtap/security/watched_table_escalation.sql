-- Issue 8 (critical): a watched table's owner must not become superuser.
-- The owner (a LOGIN non-superuser) gives its table a column of its own type
-- whose cast to json runs ALTER ROLE ... SUPERUSER; a superuser watches the
-- table; a role holding only INSERT writes a row. On 0.1.0 the cast ran
-- inside the SECURITY DEFINER trigger as the extension's owner and the owner
-- became superuser. Now rows are rendered as webhooks_renderer, a role with
-- no privileges: the ALTER ROLE fails, the INSERT fails with it (nothing is
-- published, nothing half-written), and the owner stays what it was. A
-- harmless cast still works, and is seen to run as webhooks_renderer.
BEGIN;
SELECT plan(9);

CREATE ROLE wt_esc_owner LOGIN;
CREATE ROLE wt_esc_writer LOGIN;
CREATE SCHEMA esc AUTHORIZATION wt_esc_owner;
GRANT USAGE ON SCHEMA esc TO wt_esc_writer;

-- runs q as role r, returns 'ok' or 'SQLSTATE: message'
CREATE FUNCTION pg_temp.as_role(r text, q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('SET LOCAL ROLE %I', r);
    BEGIN
        EXECUTE q;
    EXCEPTION WHEN OTHERS THEN
        RESET ROLE;
        RETURN SQLSTATE || ': ' || SQLERRM;
    END;
    RESET ROLE;
    RETURN 'ok';
END
$$;

SELECT is(pg_temp.as_role('wt_esc_owner', $$
    CREATE TABLE esc.notes (id int PRIMARY KEY);
    GRANT INSERT ON esc.notes TO wt_esc_writer;
$$), 'ok', 'the owner creates its table and lets the writer INSERT');

SELECT lives_ok($$SELECT webhooks.watch_table('esc.notes')$$, 'a superuser watches it');
INSERT INTO webhooks.subscriptions (name, url, event_types) VALUES ('all', 'https://a.example/h', '{notes.>}');

SELECT is(pg_temp.as_role('wt_esc_owner', $$
    CREATE TYPE esc.mood AS ENUM ('ok');
    CREATE FUNCTION esc.mood_json(esc.mood) RETURNS json LANGUAGE plpgsql AS $f$
    BEGIN
        EXECUTE 'ALTER ROLE wt_esc_owner SUPERUSER';
        RETURN to_json($1::text);
    END
    $f$;
    CREATE CAST (esc.mood AS json) WITH FUNCTION esc.mood_json(esc.mood);
    ALTER TABLE esc.notes ADD COLUMN mood esc.mood;
$$), 'ok', 'the owner adds a column whose cast to json tries ALTER ROLE ... SUPERUSER');

SELECT alike(pg_temp.as_role('wt_esc_writer', $$INSERT INTO esc.notes VALUES (1, 'ok')$$),
            '42501: %', 'the INSERT fails: the cast ran without the right to alter roles');
SELECT is((SELECT rolsuper FROM pg_roles WHERE rolname = 'wt_esc_owner'), false, 'the attacker is NOT superuser');
SELECT is((SELECT count(*) FROM esc.notes) + (SELECT count(*) FROM webhooks.events), 0::bigint,
          'nothing was written or published by the failed INSERT');

-- a harmless cast: works, and shows whose rights it has
SELECT is(pg_temp.as_role('wt_esc_owner', $$
    CREATE OR REPLACE FUNCTION esc.mood_json(esc.mood) RETURNS json LANGUAGE sql AS $f$ SELECT to_json(current_user::text) $f$;
$$), 'ok', 'the owner makes the cast harmless');
SELECT is(pg_temp.as_role('wt_esc_writer', $$INSERT INTO esc.notes VALUES (2, 'ok')$$), 'ok', 'the writer''s INSERT now succeeds');
SELECT is((SELECT payload->'row' FROM webhooks.events WHERE event_type = 'notes.created'),
          '{"id": 2, "mood": "webhooks_renderer"}'::jsonb, 'the cast ran as webhooks_renderer, a role with no privileges');

SELECT * FROM finish();
ROLLBACK;

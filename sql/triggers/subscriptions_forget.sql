-- A deleted subscription's messages go with it (what ON DELETE CASCADE did
-- before messages lost their foreign keys, issue 10).
-- A publisher that read the subscription's route just before the delete
-- could otherwise add a message after the delete looked: the statement
-- first takes SHARE on webhooks.messages, which waits for every transaction
-- that has written messages (publishers hold ROW EXCLUSIVE on it through
-- their commit) and holds off new ones until the delete commits; a
-- publisher let through then plans, locks and takes its snapshot in that
-- order, so it no longer sees the route. Deleting a subscription is rare;
-- publishing pays nothing for it. Taken before any row is locked, so it
-- cannot deadlock with a worker that holds messages and waits for the
-- subscription row.
CREATE OR REPLACE FUNCTION webhooks.tg_subscriptions__lock_messages()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
BEGIN
    LOCK TABLE webhooks.messages IN SHARE MODE;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER _050_lock_messages
    BEFORE DELETE ON webhooks.subscriptions
    FOR EACH STATEMENT EXECUTE FUNCTION webhooks.tg_subscriptions__lock_messages();

-- Audit (SECURITY DEFINER, both): ids of the extension's own tables only.
CREATE OR REPLACE FUNCTION webhooks.tg_subscriptions__forget()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
BEGIN
    -- one statement per state, so each reaches messages through its partial index
    DELETE FROM webhooks.messages m
     WHERE m.subscription_id = ANY (ARRAY(SELECT o.id FROM gone o)) AND m.state = 'pending';
    DELETE FROM webhooks.messages m
     WHERE m.subscription_id = ANY (ARRAY(SELECT o.id FROM gone o)) AND m.state = 'failed';
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER _900_forget
    AFTER DELETE ON webhooks.subscriptions
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION webhooks.tg_subscriptions__forget();

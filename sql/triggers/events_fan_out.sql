-- Fan-out at publish: one message per routed subscription, in one set-based
-- statement per INSERT statement, inside the publishing transaction (contract
-- §5: the subscriptions that receive an event are those that matched when it
-- was published, and nothing that commits is lost).
-- Only events published now are fanned out: a row that arrives with another
-- created_at is history being restored (pg_restore of a backup brings its
-- own messages), and sending it again would repeat old deliveries.
--
-- Wake-up: NOTIFY only while a worker has declared itself waiting
-- (webhooks.worker_waiting). A transaction that has notified takes a
-- cluster-wide lock at commit and holds it through its WAL flush, so with a
-- NOTIFY on every publish all publishing commits in the cluster serialise:
-- on 0.1.0 removing it alone raised watched-table INSERTs from 1,125 to
-- 2,590 tps against ~7,000 unwatched (issue 10; 8 clients, fsync on). A busy
-- worker claims again by itself and needs no wake-up.
-- Measured on this branch (docs/benchmarks.md, "Write path"; command:
-- flock /tmp/pgwh.lock bench/write-path/run 2 8, and WAITING=1 ... 1 8 for a
-- worker declared waiting all along): watched-table INSERTs 6,697 tps
-- (0.355 of plain) with no worker waiting, 3,499 tps (0.18) when every commit
-- notifies.
-- Worst case: while a worker waits, every publishing commit notifies (and
-- serialises as on 0.1.0) until that worker is busy again and withdraws
-- (worker_waiting(id, false) when a claim comes back full); a worker that
-- died while waiting keeps publishers notifying until any worker calls
-- worker_waiting again, which removes rows of connections that are gone.
-- A publisher that checked just before a worker declared itself sends no
-- NOTIFY; the worker's claim after declaring and its short re-polls (5 and
-- 25 ms) pick its event up.
-- Audit (SECURITY DEFINER): reads only the extension's tables; no user type
-- is involved.
CREATE OR REPLACE FUNCTION webhooks.tg_events__fan_out()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    created bigint;
BEGIN
    INSERT INTO webhooks.messages (event_id, subscription_id)
    SELECT e.id, r.subscription_id
      FROM new_events e
      JOIN webhooks.routes r ON r.event_type = e.event_type
     WHERE r.subscription_id IS DISTINCT FROM e.about_subscription_id
       AND e.created_at = now();
    GET DIAGNOSTICS created = ROW_COUNT;
    IF created > 0 AND EXISTS (SELECT FROM webhooks.waiting_workers) THEN
        PERFORM pg_notify('webhooks', '');
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER _200_fan_out
    AFTER INSERT ON webhooks.events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION webhooks.tg_events__fan_out();

-- The wake-up protocol (COMMON worker API; issue 10): a worker declares
-- itself waiting, on its LISTEN connection, when a claim came back empty and
-- it is about to block, and withdraws when a claim comes back full.
-- Publishers NOTIFY only while some worker is waiting (see
-- sql/schema/waiting_workers.sql for why and for the worst case).
-- Every call also removes rows whose connection is gone (a worker that died
-- while waiting), recognised by backend pid and start time.
CREATE OR REPLACE FUNCTION webhooks.worker_waiting(worker_id text, waiting boolean)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
BEGIN
    IF worker_waiting.worker_id IS NULL OR btrim(worker_waiting.worker_id) = '' THEN
        RAISE EXCEPTION 'worker_id may not be empty' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF worker_waiting.waiting IS NULL THEN
        RAISE EXCEPTION 'waiting may not be NULL' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    DELETE FROM webhooks.waiting_workers w
     WHERE w.worker_id = worker_waiting.worker_id
        OR NOT EXISTS (SELECT FROM pg_stat_get_activity(w.backend_pid) a WHERE a.backend_start = w.backend_start);
    IF worker_waiting.waiting THEN
        INSERT INTO webhooks.waiting_workers (worker_id, backend_pid, backend_start)
        SELECT worker_waiting.worker_id, a.pid, a.backend_start
          FROM pg_stat_get_activity(pg_backend_pid()) a;
    END IF;
END
$$;

COMMENT ON FUNCTION webhooks.worker_waiting(text, boolean) IS
    'worker API: declare (true) or withdraw (false) that this worker is blocked waiting for a NOTIFY on channel webhooks; publishers notify only while one waits';

/* only workers wait for work */
REVOKE ALL ON FUNCTION webhooks.worker_waiting(text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.worker_waiting(text, boolean) TO webhooks_worker, webhooks_admin;

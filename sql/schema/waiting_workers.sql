-- Workers blocked waiting for work (webhooks.worker_waiting): publishers
-- NOTIFY only while this table has a row, so that on a busy system no
-- publishing commit takes the cluster-wide NOTIFY lock (issue 10).
-- UNLOGGED: after a crash it is empty, and every worker declares itself
-- again the next time it waits; nothing in it needs a backup.
CREATE UNLOGGED TABLE webhooks.waiting_workers (
    worker_id     text PRIMARY KEY,
    backend_pid   int NOT NULL,           -- the LISTEN connection that declared it
    backend_start timestamptz NOT NULL,   -- with the pid: a dead connection's row is recognised
    since         timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE webhooks.waiting_workers IS
    'internal: workers waiting for a NOTIFY; publishers notify only while one is here';

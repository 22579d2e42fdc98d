-- Workers blocked waiting for work (webhooks.worker_waiting). The wake-up
-- rule (issue 10): a publishing transaction NOTIFYs channel webhooks only
-- while this table has a row, so that on a busy system no publishing commit
-- takes the cluster-wide NOTIFY lock. The publishing paths check it in the
-- same statement that queues their events (webhooks.store_event, the
-- watched-table trigger, the _100_accept trigger of webhooks.events).
-- Why: a transaction that has notified takes a cluster-wide lock at commit
-- and holds it through its WAL flush, so with a NOTIFY on every publish all
-- publishing commits in the cluster serialise. On 0.1.0 removing the NOTIFY
-- alone raised watched-table INSERTs from 1,125 to 2,590 tps against ~7,000
-- unwatched (8 clients, fsync on). A busy worker claims again by itself and
-- needs no wake-up; an idle one is woken within milliseconds.
-- Measured: WAITING=1 bench/write-path/run (one worker declared waiting all
-- along, so every commit notifies) against bench/write-path/run (none
-- waiting); bench/latency/run 500,2000 8 for commit -> arrival with one
-- worker. Figures in docs/benchmarks.md, "Write path" and "Latency".
-- Worst case: while a worker waits, every publishing commit notifies (and
-- serialises as on 0.1.0) until that worker is busy again and withdraws
-- (worker_waiting(id, false) when a claim comes back full); a worker that
-- died while waiting keeps publishers notifying until any worker calls
-- worker_waiting again, which removes rows of connections that are gone.
-- A publisher that checked just before a worker declared itself sends no
-- NOTIFY; the worker's claim after declaring and its short re-polls (5 and
-- 25 ms) pick its event up. Several events in one transaction queue one
-- notification: PostgreSQL folds identical NOTIFYs of a transaction.
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

-- Events published but not yet turned into messages (issue 10). Publishing
-- writes the event and one row here naming the subscriptions routed to it at
-- that moment (contract §5: those, no more, no fewer); webhooks.fan_out_queued,
-- which every claim runs first, turns the row into one message per
-- subscription outside the publisher's transaction.
-- Why: a message row and its three index entries per subscription, inside
-- the application's transaction, are ~400 bytes of WAL per event and grow
-- with the subscriptions: one event for 1,000 subscriptions cost its
-- publisher 10.5 ms with messages made at publish, 1.7 ms with this row
-- (bench/fan-out/run, median of 20). For one subscription the CPU is about
-- level: bench/write-path/cost, CPU per single-row INSERT transaction, plain
-- 110 us, event + message at publish 286-302 us, as shipped 292-330 us
-- (docs/benchmarks.md, "Write path").
-- No index: the only reader takes whatever rows it can lock (SKIP LOCKED) and
-- deletes them; a sequential scan of a table this small is the cheapest
-- access, and no index entry is written per event. Vacuumed early and often,
-- as it lives on deletes. Backed up with the rest (sql/schema/dump_config.sql),
-- so a restore delivers what was still queued.
CREATE TABLE webhooks.fan_out_queue (
    event_id         uuid        NOT NULL,
    -- the event's created_at: its messages are due from then, so that they
    -- keep the order in which their events were published
    published_at     timestamptz NOT NULL,
    subscription_ids bigint[]    NOT NULL
);
ALTER TABLE webhooks.fan_out_queue SET (
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_cost_delay = 0,
    autovacuum_vacuum_insert_threshold = 1000
);

COMMENT ON TABLE webhooks.fan_out_queue IS
    'internal: published events not yet turned into messages, with the subscriptions routed to them at publish time; emptied by webhooks.fan_out_queued (every claim runs it)';

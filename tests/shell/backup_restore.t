#!/usr/bin/env bash
# A pg_dump backup restored with pg_restore brings back the whole system:
# subscriptions (with their secrets), events, the pending outbox, events not
# yet fanned out, and the attempt log; it re-sends nothing that was already
# delivered, and ids keep counting past the restored ones.
# Runs inside the cluster of tests/run (PG* variables set).
set -uo pipefail
source "$(dirname "$0")/tap.bash"

q -d postgres -c 'DROP DATABASE IF EXISTS br_source' -c 'DROP DATABASE IF EXISTS br_restored' -c 'CREATE DATABASE br_source'
q -d br_source >/dev/null <<'SQL'
CREATE EXTENSION pg_webhooks CASCADE;
INSERT INTO webhooks.event_types (name) VALUES ('order.created');
INSERT INTO webhooks.subscriptions (name, url, event_types) VALUES ('shop', 'https://shop.example/h', '{order.created}');
SELECT webhooks.publish('order.created', jsonb_build_object('n', n)) FROM generate_series(1, 5) n;
-- two of the five delivered: two attempts on record, three messages pending
SELECT webhooks.record('w', (SELECT jsonb_agg(jsonb_build_object('lease_token', lease_token, 'message_id', message_id, 'status_code', 200))
                               FROM webhooks.claim('w', 2, '1 min')));
-- and one published since the last claim: still waiting for its fan-out
SELECT webhooks.publish('order.created', '{"queued": true}');
SQL

state() {  # one line describing what a database holds
  q -d "$1" -c "SELECT concat_ws(' ',
      (SELECT count(*) FROM webhooks.subscriptions), (SELECT string_agg(secret, ',') FROM webhooks.subscriptions),
      (SELECT count(*) FROM webhooks.events), (SELECT count(*) FROM webhooks.messages),
      (SELECT count(*) FROM webhooks.fan_out_queue),
      (SELECT count(*) FROM webhooks.deliveries), (SELECT count(*) FROM webhooks.routes),
      (SELECT count(*) FROM webhooks.event_types))"
}
before=$(state br_source)

if pg_dump -Fc -d br_source -f "$work/backup.dump" 2>"$work/err"; then ok "pg_dump backs up a database with pg_webhooks"
else not_ok "pg_dump" "$(cat "$work/err")"; fi
q -d postgres -c 'CREATE DATABASE br_restored'
if pg_restore -d br_restored "$work/backup.dump" 2>"$work/err"; then ok "pg_restore restores it without errors"
else not_ok "pg_restore restores it without errors" "$(cat "$work/err")"; fi

is "$(state br_restored)" "$before" "subscriptions and secrets, events, pending messages, queued fan-outs, attempts, routes and event types all come back, none twice"
is "$(q -d br_restored -c "SELECT count(*) FROM webhooks.messages m JOIN webhooks.deliveries d ON d.event_id = m.event_id")" 0 \
   "nothing already delivered is queued again"
is "$(q -d br_restored -c "SELECT count(*) FROM webhooks.claim('w2', 10, '1 min')")" 4 \
   "the three pending messages and the event still queued at backup time can be claimed"
if q -d br_restored -c "INSERT INTO webhooks.subscriptions (name, url, event_types) VALUES ('crm', 'https://crm.example/h', '{order.created}')" \
     -c "SELECT webhooks.publish('order.created', '{\"after\": \"restore\"}')" >/dev/null 2>"$work/err"; then
  ok "new subscriptions and publishes work after the restore (identity sequences restored)"
else
  not_ok "new subscriptions and publishes work after the restore" "$(cat "$work/err")"
fi
q -d br_restored -c "SELECT webhooks.fan_out_queued()" >/dev/null  # what the next claim does first
is "$(q -d br_restored -c "SELECT count(*) FROM webhooks.messages m JOIN webhooks.events e ON e.id = m.event_id WHERE e.payload ? 'after'")" 2 \
   "a publish after the restore fans out to both subscriptions"

q -d postgres -c 'DROP DATABASE br_source' -c 'DROP DATABASE br_restored'
done_testing

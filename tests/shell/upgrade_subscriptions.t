#!/usr/bin/env bash
# Subscriptions made under 0.1.0 survive ALTER EXTENSION pg_webhooks UPDATE:
# a row that 0.2.0's tighter rules would refuse (port 99999, a 1000-year
# retry delay) keeps working for the worker's and the operator's other
# updates; a subscription to '>' is not routed the new webhooks.ping type;
# the status view shows its URL redacted; errors no longer print the row.
# Runs inside the cluster of tests/run (PG* variables set).
set -uo pipefail
source "$(dirname "$0")/tap.bash"
root=$(cd "$(dirname "$0")/../.." && pwd)
version=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$root/extension/pg_webhooks.control")

q -d postgres -c 'DROP DATABASE IF EXISTS up_subs' -c 'CREATE DATABASE up_subs' >/dev/null
if ! q -d up_subs -c "CREATE EXTENSION pg_webhooks VERSION '0.1.0' CASCADE" >/dev/null 2>"$work/err"; then
  not_ok "install 0.1.0" "$(cat "$work/err")"; done_testing; exit 0
fi
q -d up_subs >/dev/null 2>"$work/err" <<'SQL' || not_ok "set up 0.1.0 subscriptions" "$(cat "$work/err")"
INSERT INTO webhooks.event_types (name) VALUES ('order.created');
INSERT INTO webhooks.subscriptions (name, url, event_types, retry_schedule, headers) VALUES
    ('old', 'https://ops:pw-OLD@h.example:99999/in?token=tok-OLD', '{order.created}', '{1000 years}', '{"authorization": "Bearer hv-OLD"}'),
    ('everything', 'https://all.example/h', '{>}', DEFAULT, DEFAULT);
SELECT webhooks.publish('order.created', '{}');
SQL
if q -d up_subs -c 'ALTER EXTENSION pg_webhooks UPDATE' >/dev/null 2>"$work/err"; then ok "0.1.0 with subscriptions upgrades to $version"
else not_ok "0.1.0 with subscriptions upgrades to $version" "$(cat "$work/err")"; fi

is "$(q -d up_subs -c "SELECT count(*) FROM webhooks.routes WHERE event_type = 'webhooks.ping'")" 0 \
   "webhooks.ping is not routed to the subscription to '>'"
if q -d up_subs -c "UPDATE webhooks.subscriptions SET last_claimed_at = now(), consecutive_failures = 1, enabled = false WHERE name = 'old'" \
     -c "UPDATE webhooks.subscriptions SET enabled = true, max_in_flight = 8 WHERE name = 'old'" >/dev/null 2>"$work/err"; then
  ok "the old row's other columns can still be written (worker and operator)"
else
  not_ok "the old row's other columns can still be written" "$(cat "$work/err")"
fi
is "$(q -d up_subs -c "SELECT url FROM webhooks.subscription_status WHERE name = 'old'")" 'https://***@h.example:99999/in?token=***' \
   "subscription_status shows the old URL redacted"
q -d up_subs -c "UPDATE webhooks.subscriptions SET timeout = '1 hour' WHERE name = 'old'" >/dev/null 2>"$work/err"
if grep -q 'timeout 01:00:00 is out of range' "$work/err" && ! grep -qE 'hv-OLD|pw-OLD|tok-OLD|whsec_|Failing row' "$work/err"; then
  ok "an error on the old row names the field and prints neither the row nor its secrets"
else
  not_ok "an error on the old row names the field and prints neither the row nor its secrets" "$(cat "$work/err")"
fi
q -d up_subs -c "SELECT webhooks.ping('old')" >/dev/null 2>&1
is "$(q -d up_subs -c "SELECT string_agg(subscription, ',') FROM webhooks.message_status WHERE event_type = 'webhooks.ping'")" old \
   "an upgraded subscription can be pinged"

q -d postgres -c 'DROP DATABASE up_subs' >/dev/null
done_testing

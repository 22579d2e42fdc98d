#!/usr/bin/env bash
# The README's psql walk (its first ```sql block) runs top to bottom in a
# fresh database exactly as printed, and its subscription gets messages: the
# explicit publish, the watched table's update, and the ping (issue 11: in
# 0.1.0 the walk aborted on pseudo-code and its pattern matched nothing).
# Runs inside the cluster of tests/run (PG* variables set).
set -uo pipefail
source "$(dirname "$0")/tap.bash"
root=$(cd "$(dirname "$0")/../.." && pwd)

# the first ```sql block, fences excluded
awk '/^```sql$/ && !seen { inside = 1; seen = 1; next } inside && /^```$/ { exit } inside { print }' \
  "$root/README.md" > "$work/walk.sql"
if [ -s "$work/walk.sql" ] && grep -q 'CREATE EXTENSION pg_webhooks' "$work/walk.sql"; then
  ok "README.md has a psql walk that starts by creating the extension"
else
  not_ok "README.md has a psql walk that starts by creating the extension" "extracted: $(head -3 "$work/walk.sql")"
fi

q -d postgres -c 'DROP DATABASE IF EXISTS readme_walk' -c 'CREATE DATABASE readme_walk' >/dev/null
if psql -X -q -v ON_ERROR_STOP=1 -d readme_walk -f "$work/walk.sql" >"$work/out" 2>"$work/err"; then
  ok "the walk runs top to bottom in a fresh database, as printed"
else
  not_ok "the walk runs top to bottom in a fresh database, as printed" "$(tail -5 "$work/err")"
fi
is "$(grep -c 'ERROR' "$work/err")" 0 "and prints no error"

messages=$(q -d readme_walk -c "SELECT string_agg(DISTINCT event_type, ',' ORDER BY event_type)
                                  FROM webhooks.message_status WHERE subscription = 'billing'" 2>&1)
is "$messages" "order.created,order.updated,webhooks.ping" \
   "its subscription has messages for the published event, the watched table's update and the ping"
is "$(q -d readme_walk -c "SELECT count(*) FROM webhooks.event_type_status WHERE no_subscriber_24h > 0")" 0 \
   "no event of the walk went to no subscriber"
is "$(q -d readme_walk -c "SELECT state FROM webhooks.subscription_status WHERE name = 'billing'")" active \
   "the subscription ends active"

q -d postgres -c 'DROP DATABASE readme_walk' >/dev/null
done_testing

#!/usr/bin/env bash
# The install paths give one and the same schema (contract §1):
#  - CREATE EXTENSION pg_webhooks CASCADE;
#  - psql -f extension/pg_webhooks--<version>.sql (managed databases);
#  - every released version (frozen in migrations/) + ALTER EXTENSION UPDATE.
# A released install script never changes: a change to sql/ needs a new
# version and its migration, or this fails.
# Runs inside the cluster of tests/run (PG* variables set).
set -uo pipefail
source "$(dirname "$0")/tap.bash"
root=$(cd "$(dirname "$0")/../.." && pwd)
version=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$root/extension/pg_webhooks.control")
releases=$(ls "$root"/migrations/pg_webhooks--*.sql 2>/dev/null | sed -nE 's#.*/pg_webhooks--([0-9.]+)\.sql$#\1#p' | sort -V)
fresh_db() { q -d postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null; }
fingerprint() {
  q -d "$1" -f "$root/tests/shell/schema-fingerprint.sql" > "$work/$1.txt" 2>"$work/err" \
    || not_ok "describe the schema of $1" "$(cat "$work/err")"
}
same_schema() {  # name-a name-b description
  if diff -u "$work/$1.txt" "$work/$2.txt" > "$work/diff.txt"; then ok "$3"
  else not_ok "$3" "$(head -40 "$work/diff.txt")"; fi
}

fresh_db ip_extension
q -d ip_extension -c 'CREATE EXTENSION pg_webhooks CASCADE' >/dev/null 2>&1 \
  && ok "CREATE EXTENSION pg_webhooks CASCADE installs $version" || not_ok "CREATE EXTENSION pg_webhooks CASCADE"
fingerprint ip_extension

fresh_db ip_plain
if q -d ip_plain -c 'CREATE EXTENSION pgcrypto' -f "$root/extension/pg_webhooks--$version.sql" >/dev/null 2>"$work/err"; then
  ok "psql -f extension/pg_webhooks--$version.sql installs without the extension mechanism"
else
  not_ok "psql -f extension/pg_webhooks--$version.sql" "$(cat "$work/err")"
fi
fingerprint ip_plain
same_schema ip_extension ip_plain "the plain script gives the same schema as CREATE EXTENSION"
if q -d ip_plain -c "INSERT INTO webhooks.event_types (name) VALUES ('a.b')" \
     -c "INSERT INTO webhooks.subscriptions (name, url, event_types) VALUES ('s', 'https://a.example', '{a.b}')" \
     -c "SELECT webhooks.publish('a.b', '{}')" >/dev/null 2>"$work/err"; then
  ok "the plain install publishes and generates secrets"
else
  not_ok "the plain install publishes" "$(cat "$work/err")"
fi

for r in $releases; do
  if [ "$r" = "$version" ]; then
    if cmp -s "$root/migrations/pg_webhooks--$r.sql" "$root/extension/pg_webhooks--$version.sql"; then
      ok "released $r is unchanged"
    else
      not_ok "released $r is unchanged: sql/ changed after the release" \
        "bump default_version and add migrations/pg_webhooks--$r--<new>.sql"
    fi
    continue
  fi
  db="ip_from_${r//./_}"
  fresh_db "$db"
  if q -d "$db" -c "CREATE EXTENSION pg_webhooks VERSION '$r' CASCADE" -c 'ALTER EXTENSION pg_webhooks UPDATE' >/dev/null 2>"$work/err"; then
    ok "$r upgrades to $version with ALTER EXTENSION pg_webhooks UPDATE"
  else
    not_ok "$r upgrades to $version" "$(cat "$work/err")"
  fi
  fingerprint "$db"
  same_schema ip_extension "$db" "an install upgraded from $r has the same schema as a fresh $version"
done
[ -n "$releases" ] || ok "no released version yet: nothing to upgrade from"

q -d ip_extension -c 'DROP EXTENSION pg_webhooks' >/dev/null
[ "$(q -d ip_extension -c "SELECT count(*) FROM pg_namespace WHERE nspname = 'webhooks'")" = 0 ] \
  && ok "DROP EXTENSION removes the webhooks schema" || not_ok "DROP EXTENSION removes the webhooks schema"

for db in ip_extension ip_plain $(for r in $releases; do echo "ip_from_${r//./_}"; done); do
  q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
done
done_testing

# Shared by the tests/shell/*.t files: TAP output, a scratch folder, psql.
# Source it; end the test with `done_testing`.
export PGOPTIONS="-c client_min_messages=warning"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0
ok()     { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
is()     { if [ "$1" = "$2" ]; then ok "$3"; else not_ok "$3" "got:      $1" "expected: $2"; fi; }
q()      { psql -X -q -v ON_ERROR_STOP=1 -tA "$@"; }
done_testing() { echo "1..$n"; }

#!/usr/bin/env bash
# The documentation stands alone (issue 11): every relative link in
# README.md and docs/*.md resolves to a file or folder of the repository
# (and, with an #anchor into a Markdown file, to one of its headings), and
# nothing points outside the repository, where a clone has nothing.
set -uo pipefail
source "$(dirname "$0")/tap.bash"
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1

anchor_of() {  # GitHub's anchor for each heading of a Markdown file
  grep -E '^#{1,6} ' "$1" | sed -E 's/^#+ +//' | tr 'A-Z' 'a-z' | sed -E 's/[^a-z0-9 _-]//g; s/ /-/g'
}

for doc in README.md docs/*.md outbox-worker/README.md; do
  bad=()
  count=0
  # [text](target) links, code spans removed first; skip URLs with a scheme and mail
  while IFS= read -r target; do
    count=$((count + 1))
    case "$target" in
      http://*|https://*|mailto:*) continue ;;
    esac
    path=${target%%#*}
    frag=${target#"$path"}; frag=${frag#\#}
    if [ -z "$path" ]; then resolved=$doc; else resolved=$(dirname "$doc")/$path; fi
    if [ ! -e "$resolved" ]; then bad+=("$target: no such file ($resolved)"); continue; fi
    case "$(realpath "$resolved")" in
      "$root"|"$root"/*) ;;
      *) bad+=("$target: outside the repository"); continue ;;
    esac
    if [ -n "$frag" ] && [[ "$resolved" == *.md ]] && ! anchor_of "$resolved" | grep -qx -- "$frag"; then
      bad+=("$target: no heading for #$frag")
    fi
  done < <(sed -E 's/`[^`]*`//g' "$doc" | grep -oE '\]\([^) ]+\)' | sed -E 's/^\]\(//; s/\)$//')
  if [ ${#bad[@]} -eq 0 ]; then ok "$doc: its $count links resolve inside the repository"
  else not_ok "$doc: every relative link resolves inside the repository" "${bad[@]}"; fi
done

hits=$(grep -rnE '\.\./shared|shared/design' README.md docs outbox-worker/README.md 2>/dev/null)
is "$hits" "" "no document refers to the session's shared/ folder, which a clone does not have"
done_testing

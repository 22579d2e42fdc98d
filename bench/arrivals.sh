# Receiver-side timing for the bench/ scripts that compare deliverers
# (bench/peers, bench/fan-out): nginx on 127.0.0.1 answers 204 to every
# request and logs, per request, when it ended and how many body bytes it
# carried. A rate measured from the first to the last arrival is the same
# yardstick whatever sent the requests (a webhooks-worker, a Node job queue),
# and excludes each sender's start-up and shut-down; the scripts print the
# wall-clock figure beside it.
# Source after bench/lib.sh.

# arrivals_nginx PORT DIR: starts nginx (one worker process, keep-alive,
# access log DIR/arrivals.log); prints its pid. Stop it with arrivals_stop DIR
# (it inherits the caller's open files, e.g. the fd of `flock`, so a stray
# nginx would hold a lock the caller took).
arrivals_nginx() {
  local port=$1 dir=$2
  mkdir -p "$dir/tmp"
  : > "$dir/arrivals.log"
  cat > "$dir/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  log_format arrival '\$msec \$content_length \$status';
  access_log $dir/arrivals.log arrival;
  client_body_temp_path $dir/tmp;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  server { listen 127.0.0.1:$port; location / { return 204; } }
}
CONF
  # its output must not hold the caller's $(...) open
  /usr/sbin/nginx -c "$dir/nginx.conf" -p "$dir" >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 50); do (echo >/dev/tcp/127.0.0.1/"$port") 2>/dev/null && { echo "$pid"; return 0; } || sleep 0.1; done
  echo "nginx did not start on 127.0.0.1:$port (see $dir/error.log)" >&2
  kill "$pid" 2>/dev/null
  return 1
}

# arrivals_reset DIR: forget earlier arrivals (nginx appends, O_APPEND, so
# truncating in place is safe while it runs).
arrivals_reset() { : > "$1/arrivals.log"; }

# arrivals_count DIR
arrivals_count() { wc -l < "$1/arrivals.log" | tr -d ' '; }

# arrivals_stats DIR: "n=N seconds=S rate=R body_min=A body_avg=B body_max=C non2xx=E",
# rate = (N - 1) / (last arrival - first arrival), requests/s.
arrivals_stats() {
  awk '
    NR == 1 { first = $1; min = $2; max = $2 }
    { last = $1; sum += $2; if ($2 < min) min = $2; if ($2 > max) max = $2; if ($3 !~ /^2/) bad++ }
    END {
      if (NR == 0) { print "n=0 seconds=0 rate=0 body_min=0 body_avg=0 body_max=0 non2xx=0"; exit }
      s = last - first; r = (NR > 1 && s > 0) ? (NR - 1) / s : 0
      printf "n=%d seconds=%.3f rate=%.0f body_min=%d body_avg=%.1f body_max=%d non2xx=%d\n", NR, s, r, min, sum / NR, max, bad + 0
    }' "$1/arrivals.log"
}

# field NAME "k=v k=v ...": prints v
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }

# arrivals_wait DIR N SECONDS: waits until N requests arrived (or SECONDS
# passed); returns non-zero on timeout.
arrivals_wait() {
  local dir=$1 n=$2 deadline=$((SECONDS + $3))
  while [ "$(arrivals_count "$dir")" -lt "$n" ]; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.1
  done
}

# peak_rss_mb FILE: /usr/bin/time -f %M output (KiB) as MB with one decimal
peak_rss_mb() { awk '/^[0-9]+$/ { printf "%.1f", $1 / 1024; found = 1 } END { if (!found) printf "?" }' "$1"; }

# arrivals_stop DIR: stops the nginx that arrivals_nginx started in DIR
arrivals_stop() {
  local pid
  pid=$(cat "$1/nginx.pid" 2>/dev/null || true)
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
}

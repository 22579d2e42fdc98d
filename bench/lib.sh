# Shared by the bench/ scripts: a throwaway cluster, a database with the
# extension, and the worker binary.
bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Re-runs the calling script inside pg_virtualenv unless already inside.
bench_in_cluster() {
  if [ -z "${WEBHOOKS_BENCH_IN_CLUSTER:-}" ]; then
    export WEBHOOKS_BENCH_IN_CLUSTER=1
    exec pg_virtualenv -t -v "$(pg_config --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')" \
      -o shared_buffers=256MB -o fsync=on -o synchronous_commit=on -o max_connections=100 "$@"
  fi
}

bench_db() {  # creates database "bench" with pg_webhooks; the worker finds it through PGDATABASE
  export PGDATABASE=bench
  psql -X -q -d postgres -c 'DROP DATABASE IF EXISTS bench' -c 'CREATE DATABASE bench'
  psql -X -q -v ON_ERROR_STOP=1 -d bench -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION pg_webhooks CASCADE'
}

bq() { psql -X -q -v ON_ERROR_STOP=1 -d bench "$@"; }

bench_worker() {
  if [ -x "$bench_root/build/worker/webhooks-worker" ]; then echo "$bench_root/build/worker/webhooks-worker"
  else command -v webhooks-worker; fi
}

# nginx answering 204 to everything on 127.0.0.1:$1; prints its pid.
bench_nginx() {
  local port=$1 dir
  dir=$(mktemp -d)
  mkdir -p "$dir/tmp"
  cat > "$dir/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/tmp;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$port; location / { return 204; } }
}
CONF
  # its output must not hold the caller's $(...) open
  /usr/sbin/nginx -c "$dir/nginx.conf" -p "$dir" >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 50); do (echo >/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done
  echo "$pid"
}

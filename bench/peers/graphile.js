// graphile-worker side of bench/peers/run: one process that drains the
// graphile_worker job queue (jobs added in bulk by the script, task "post",
// payload {"body": "<exact request body>"}) by POSTing each body to the
// receiver, then exits (runOnce: until no runnable job is left).
//
//   node graphile.js migrate|defaults|batched
//
// env: PEERS_URL (http://127.0.0.1:PORT/path), PEERS_CONCURRENCY (32),
// PG* (the database; graphile-worker reads them like libpq),
// NO_LOG_SUCCESS=1 (graphile-worker's own switch: no log line per job, as in
// its perfTest; webhooks-worker logs nothing per delivery either).
//
// "defaults": graphile-worker's defaults (maxPoolSize 10, no local queue,
// complete/fail one job per round trip) except concurrency.
// "batched": the batching its performance docs recommend for high
// throughput: localQueue {size: 100}, completeJobBatchDelay 0,
// failJobBatchDelay 0 (website/docs/performance.md, 0.17.x).
//
// PEERS_GRAPHILE_OPTIONS=toplevel (not the default): "batched" passes those
// options beside `concurrency` in runOnce's options, as a new user might.
// graphile-worker 0.17.3 ignores them there ("Do not know how to convert
// config option 'localQueue' into its preset equivalent; ignoring." on
// stderr) and runs at its defaults. With per-job log lines (no
// NO_LOG_SUCCESS) and cold statistics this reproduces issue 10's
// 1,727-2,053/s for "batched": 1,934-1,959/s against 7,648-8,845/s set up as
// above (bench/peers/variants, 3 rounds; docs/benchmarks.md, peers section).
"use strict";
const http = require("http");
const { runOnce, runMigrations } = require("graphile-worker");

const mode = process.argv[2];
const concurrency = parseInt(process.env.PEERS_CONCURRENCY || "32", 10);
const target = new URL(process.env.PEERS_URL || "http://127.0.0.1:18183/hook");
if (target.hostname !== "127.0.0.1" && target.hostname !== "[::1]") {
  throw new Error("bench/peers sends to loopback only");
}

// One keep-alive connection per concurrent job, as webhooks-worker keeps
// its connections to a receiver open.
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

// PEERS_HTTP (bench/peers/variants only; default "agent"): "global" uses
// Node's global agent, "nokeepalive" a new connection per request, "fetch"
// Node's fetch (undici) instead of http.
const client = process.env.PEERS_HTTP || "agent";
if (!["agent", "global", "nokeepalive", "fetch"].includes(client)) throw new Error(`PEERS_HTTP=${client}?`);

function post(body) {
  if (client === "fetch") {
    return fetch(target.href, { method: "POST", headers: { "content-type": "application/json" }, body }).then(
      async (res) => {
        await res.arrayBuffer();
        if (res.status < 200 || res.status >= 300) throw new Error(`HTTP ${res.status}`);
      },
    );
  }
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: "POST",
        agent: client === "agent" ? agent : client === "global" ? undefined : new http.Agent({ keepAlive: false }),
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on("end", () =>
          res.statusCode >= 200 && res.statusCode < 300
            ? resolve()
            : reject(new Error(`HTTP ${res.statusCode}`)),
        );
      },
    );
    req.setTimeout(10000, () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end(body);
  });
}

const taskList = {
  post: async (payload) => {
    await post(payload.body);
  },
};

const batching = {
  localQueue: { size: 100 },
  completeJobBatchDelay: 0,
  failJobBatchDelay: 0,
};

async function main() {
  if (mode === "migrate") {
    await runMigrations({});
    return;
  }
  if (mode !== "defaults" && mode !== "batched") throw new Error(`unknown mode ${mode}`);
  const options = { concurrency, taskList, noHandleSignals: false };
  if (mode === "batched" && process.env.PEERS_GRAPHILE_OPTIONS === "toplevel") Object.assign(options, batching);
  else options.preset = { worker: mode === "batched" ? batching : {} };
  await runOnce(options);
  agent.destroy();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

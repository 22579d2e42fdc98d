// claimer: runs webhooks.claim on a database connection of its own, driven
// by a thread of its own, so that a claim overlaps the loop's HTTP instead
// of stalling it. One claim runs at a time: the loop asks for one (Start)
// when the claim policy says so and takes its outcome (Take) when the
// thread wakes it (curl_multi_wakeup); meanwhile it keeps sending and
// collecting.
//
// Why (issue 10, bench/peers at --concurrency 32): with the claim inline the
// loop spent 1,258-1,315 ms of a 2,105-2,162 ms drain of 20,000 messages
// blocked in 827-843 claims (~1.55 ms each, commit included), with 4.2-4.4
// requests on the wire on average when a claim began, so the wire sat idle
// while each claim ran (an instrumented build, not kept).
// Measured (2 cores, PostgreSQL 15, fsync on, nginx 204 on loopback, 20,000
// ~200-byte POSTs, VACUUM ANALYZE first as bench/peers does; inline claim vs
// this thread, interleaved in one run, receiver-side rate, medians):
//   --concurrency 32:             7,552/s -> 8,775/s (5 rounds)
//   defaults (--concurrency 64):  6,880/s -> 9,652/s (3 rounds)
//   --concurrency 256 --batch-size 100, max_in_flight 256: 10,070/s -> 12,836/s (3 rounds)
// Command: a copy of bench/peers' webhooks-worker step run for each binary
// (docs/benchmarks.md, peers section). The cost: a fourth connection per
// worker ("webhooks-worker (claim)"; the loop's own is "(work)": next_due,
// release).
//
// Errors are the connection supervisor's to log and report (conn=claimer);
// a claim that failed comes back with its error and the loop backs off, as
// it did when claiming inline. An error that cannot heal goes to the
// shared FatalError and the worker exits.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "claim_policy.h"
#include "config.h"
#include "db.h"
#include "db_supervisor.h"
#include "metrics.h"

namespace webhooks {

class Claimer {
 public:
  struct Outcome {
    ClaimPlan plan;
    std::vector<ClaimedMessage> got;
    std::optional<DbError> error;  // set: the claim failed (already logged); got is empty
  };

  // Starts the thread, which connects at once.
  Claimer(const Config& cfg, Metrics& metrics, FatalError& fatal, std::function<void()> wake);
  // Stops the thread, waiting for a claim in progress.
  ~Claimer();
  Claimer(const Claimer&) = delete;
  Claimer& operator=(const Claimer&) = delete;

  // Asks for one claim; only when !busy().
  void Start(ClaimPlan plan);
  // A claim was asked for and its outcome not yet taken.
  bool busy() const;
  // The outcome of the claim asked for, once it is done (then !busy()).
  std::optional<Outcome> Take();
  // Waits for the claim asked for (if any) to finish and takes its outcome:
  // on shutdown, so that messages it leased are released, not left to
  // their leases' expiry.
  std::optional<Outcome> Wait();

 private:
  void Loop();

  const Config& cfg_;
  std::function<void()> wake_;
  Database db_;        // thread only (work connection, no LISTEN)
  DbSupervisor conn_;  // thread only
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::optional<ClaimPlan> plan_;     // guarded by mu_: asked for, not yet started
  bool running_ = false;              // guarded by mu_
  std::optional<Outcome> outcome_;    // guarded by mu_: done, not yet taken
  bool stop_ = false;                 // guarded by mu_
  std::thread thread_;  // last: started once everything above is ready
};

}  // namespace webhooks

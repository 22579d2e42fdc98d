// worker: the loop, wiring named parts: ClaimPolicy (claim_policy.h: when to
// claim, how many, whom to skip, when to declare itself waiting, when to
// record), Dispatcher (dispatcher.h: the in-flight table and local queue),
// DbSupervisor (db_supervisor.h: the connections and errors that cannot
// heal), Recorder (recorder.h: its own thread and connection). It waits
// (NOTIFY, fallback poll, next due retry, finished requests, a finished
// record) → claims → sends → hands results to the recorder, keeping up to
// --concurrency requests on the wire without ever waiting for a batch's
// slowest request or for a record. Signals reach it only through StopSignal
// (a counter and a self-pipe written by the handler).
#pragma once

#include <atomic>

#include "config.h"
#include "metrics.h"

namespace webhooks {

struct StopSignal {
  int fd = -1;                              // readable when a signal arrived
  const std::atomic<int>* count = nullptr;  // signals received so far
};

class Worker {
 public:
  Worker(Config config, Metrics& metrics, StopSignal stop);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Runs until stopped (or, with --once, until nothing is due). Exit code:
  // 0 after a graceful stop or a finished --once run; kExitConfig (78) on
  // a configuration error that cannot heal; 1 on another fatal error or a
  // second signal.
  int Run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace webhooks

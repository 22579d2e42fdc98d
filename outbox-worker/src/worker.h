// worker: the loop. Wait (NOTIFY, fallback poll, next due retry) → claim →
// send concurrently → hand results to the recorder (recorder.h: its own
// thread and connection), keeping up to --concurrency messages in flight
// (on the wire or waiting to be recorded) without ever waiting for a
// batch's slowest request or for a record. Signals reach it only through
// StopSignal (a counter and a self-pipe written by the handler).
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
  // 0 after a graceful stop or a finished --once run; 1 on a fatal error
  // or a second signal.
  int Run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace webhooks

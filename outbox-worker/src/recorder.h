// recorder: records attempt results (webhooks.record) on a database
// connection of its own, driven by a thread of its own, so that a record
// overlaps the loop's claims and HTTP instead of stalling them, and a second
// PostgreSQL backend works meanwhile. One record runs at a time; results
// handed over while it runs are recorded together by the next one.
//
// Results are never dropped. A record that fails is kept, ahead of newer
// results, and tried again (RecordRetryDelay): after a reconnect when the
// connection went, and also when its commit was in doubt — webhooks.record
// is idempotent per (lease_token, message_id), so sending it again logs
// nothing twice. Only an error that cannot heal (DbErrorKind::kConfig)
// stops it: it is reported to the shared FatalError and the worker exits.
// Every finished record calls `wake` (the loop's curl_multi_wakeup), so the
// loop can claim again.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "config.h"
#include "db.h"
#include "db_supervisor.h"
#include "metrics.h"

namespace webhooks {

// How long to wait before trying a failed record again (it is kept in every
// case); nullopt: never (the error cannot heal; the worker stops).
// failures: failed records in a row, this one included.
std::optional<std::chrono::milliseconds> RecordRetryDelay(DbErrorKind kind, bool connection_lost,
                                                          int failures);

class Recorder {
 public:
  // Starts the thread, which connects at once.
  Recorder(const Config& cfg, Metrics& metrics, FatalError& fatal, std::function<void()> wake);
  // Stops the thread (waiting for a record in progress); results still
  // queued are not recorded. Call Finish() first to record them.
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Queues results for recording; never blocks on the database.
  void Submit(std::vector<AttemptResult> results);

  // Results handed over and not yet recorded (queued + in a record right now).
  size_t pending() const;
  // A record is running or results are queued.
  bool busy() const { return pending() > 0; }

  // Successful records so far; the loop compares it with the count it last
  // saw to learn that a record completed.
  uint64_t records_done() const { return records_done_.load(); }

  // Shutdown: records what is queued without waiting out back-offs, giving
  // up after kFinalAttempts failed attempts, then ends the thread. Returns at
  // once; see WaitFinished().
  void Finish();
  static constexpr int kFinalAttempts = 3;
  // After Finish(): true once the thread ended (pending() is what was left
  // unrecorded); false if `timeout` passed first.
  bool WaitFinished(std::chrono::milliseconds timeout);

 private:
  void Loop();
  bool RecordOnce(const std::vector<AttemptResult>& batch,
                  bool finishing);  // thread only; false: keep, retry

  const Config& cfg_;
  Metrics& metrics_;
  FatalError& fatal_;
  std::function<void()> wake_;
  Database db_;                                       // thread only (work connection, no LISTEN)
  DbSupervisor conn_;                                 // thread only
  int failures_ = 0;                                  // thread only: failed records in a row
  std::chrono::steady_clock::time_point retry_at_{};  // thread only: back-off after a failure

  mutable std::mutex mu_;
  std::condition_variable cv_;           // the thread waits for work / stop
  std::condition_variable finished_cv_;  // WaitFinished() waits for the thread's end
  std::vector<AttemptResult> queue_;     // guarded by mu_
  size_t recording_ = 0;                 // guarded by mu_: results in the record running now
  bool finishing_ = false;               // guarded by mu_
  bool stop_ = false;                    // guarded by mu_
  bool finished_ = false;                // guarded by mu_
  std::atomic<uint64_t> records_done_{0};
  std::thread thread_;  // last: started once everything above is ready
};

}  // namespace webhooks

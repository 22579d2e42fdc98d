// recorder: records attempt results (webhooks.record) on a database
// connection of its own, driven by a thread of its own, so that a record
// (~15 ms for a few hundred results) overlaps the loop's claims and HTTP
// instead of stalling them, and a second PostgreSQL backend works meanwhile.
//
// The loop hands over batches with Submit() and carries on at once; results
// handed over while a record runs are recorded together by the next one.
// Semantics are those of the loop's former inline record: on a retryable
// error the results are kept and retried (after a reconnect, with back-off);
// in doubt or permanent errors drop them with event=results_dropped (their
// leases expire and the messages are delivered again). Every finished record
// calls `wake` (the loop's curl_multi_wakeup), so the loop can claim again.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "config.h"
#include "db.h"
#include "metrics.h"

namespace webhooks {

class Recorder {
 public:
  // Starts the thread, which connects at once.
  Recorder(const Config& cfg, Metrics& metrics, std::function<void()> wake);
  // Stops the thread (waiting for a record in progress); results still
  // queued are not recorded. Call Finish() first to record them.
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Queues results for recording; never blocks on the database.
  void Submit(std::vector<AttemptResult> results);

  // Results handed over and not yet recorded or dropped (queued + in a
  // record right now).
  size_t pending() const;

  // Successful records so far; the loop compares it with the count it last
  // saw to learn that a record completed.
  uint64_t records_done() const { return records_done_.load(); }

  // Shutdown: records what is queued without waiting out back-offs, giving
  // up after a second failed attempt (one reconnect, as the loop always did),
  // then ends the thread. Returns at once; see WaitFinished().
  void Finish();
  // After Finish(): true once the thread ended (pending() is what was left
  // unrecorded); false if `timeout` passed first.
  bool WaitFinished(std::chrono::milliseconds timeout);

 private:
  enum class Outcome { kRecorded, kDropped, kRetry };
  void Loop();
  Outcome RecordOnce(const std::vector<AttemptResult>& batch);  // thread only
  bool EnsureConnected();                                       // thread only

  const Config& cfg_;
  Metrics& metrics_;
  std::function<void()> wake_;
  Database db_;                                       // thread only (work connection, no LISTEN)
  Backoff backoff_;                                   // thread only: reconnects
  bool ever_connected_ = false;                       // thread only
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

#include "recorder.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>

#include "logging.h"

namespace webhooks {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::optional<milliseconds> RecordRetryDelay(DbErrorKind kind, bool connection_lost, int failures) {
  if (kind == DbErrorKind::kConfig) return std::nullopt;
  // Lost (in doubt or not): the connection supervisor's back-off paces the
  // reconnect; send it again as soon as connected.
  if (connection_lost) return milliseconds(0);
  int shift = std::clamp(failures - 1, 0, 10);
  if (kind == DbErrorKind::kPermanent)  // will fail again unless something changes: slowly
    return std::min(milliseconds(30'000), milliseconds(1000) * (1 << shift));
  return std::min(milliseconds(5'000), milliseconds(50) * (1 << shift));  // serialization, lock timeout, …
}

Recorder::Recorder(const Config& cfg, Metrics& metrics, FatalError& fatal, std::function<void()> wake)
    : cfg_(cfg),
      metrics_(metrics),
      fatal_(fatal),
      wake_(std::move(wake)),
      db_(cfg.database_url, cfg.worker_id, /*listen=*/false, "record"),
      conn_("recorder", db_, metrics, fatal, cfg.reconnect_max_backoff, /*report_up=*/false),
      thread_([this] { Loop(); }) {}

Recorder::~Recorder() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Recorder::Submit(std::vector<AttemptResult> results) {
  if (results.empty()) return;
  {
    std::lock_guard lk(mu_);
    if (queue_.empty())
      queue_ = std::move(results);
    else
      queue_.insert(queue_.end(), std::make_move_iterator(results.begin()),
                    std::make_move_iterator(results.end()));
  }
  cv_.notify_one();
}

size_t Recorder::pending() const {
  std::lock_guard lk(mu_);
  return queue_.size() + recording_;
}

void Recorder::Finish() {
  {
    std::lock_guard lk(mu_);
    finishing_ = true;
  }
  cv_.notify_one();
}

bool Recorder::WaitFinished(milliseconds timeout) {
  std::unique_lock lk(mu_);
  return finished_cv_.wait_for(lk, timeout, [this] { return finished_; });
}

void Recorder::Loop() {
  conn_.Ensure(Clock::now());  // at once, so that the first results do not wait for a connect
  int final_attempts = 0;      // records tried since Finish()
  std::unique_lock lk(mu_);
  while (true) {
    // Wait for results (and for a back-off to pass), for Finish() or for the destructor.
    if (stop_ || fatal_.Get() || (finishing_ && (queue_.empty() || final_attempts >= kFinalAttempts))) break;
    if (queue_.empty()) {
      cv_.wait(lk);
      continue;
    }
    auto wait_until = std::max(retry_at_, conn_.connected() ? Clock::time_point{} : conn_.next_connect_at());
    if (!finishing_ && Clock::now() < wait_until) {
      cv_.wait_until(lk, wait_until);
      continue;
    }
    // Take everything queued: results that arrived during the last record
    // are recorded together, in one statement.
    std::vector<AttemptResult> batch;
    batch.swap(queue_);
    recording_ = batch.size();
    bool finishing = finishing_;
    if (finishing) ++final_attempts;
    lk.unlock();
    bool recorded = RecordOnce(batch, finishing);
    lk.lock();
    recording_ = 0;
    if (!recorded) {  // keep them, ahead of those that arrived meanwhile
      batch.insert(batch.end(), std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.end()));
      queue_.swap(batch);
    } else {
      records_done_.fetch_add(1);
    }
    lk.unlock();
    wake_();  // the loop may claim again or finish (--once)
    lk.lock();
  }
  finished_ = true;
  lk.unlock();
  finished_cv_.notify_all();
}

bool Recorder::RecordOnce(const std::vector<AttemptResult>& batch, bool finishing) {
  auto now = Clock::now();
  if (!conn_.Ensure(now, /*ignore_backoff=*/finishing)) {
    // Connect failed: the supervisor set its back-off (next_connect_at).
    return false;
  }
  int n = 0;
  try {
    n = db_.Record(batch);
  } catch (const DbError& e) {
    ++failures_;
    bool lost = !db_.connected();
    conn_.OnError("record", e, Clock::now(), "unrecorded=" + std::to_string(batch.size()));
    auto delay = RecordRetryDelay(e.kind(), lost, failures_);
    if (delay) {
      retry_at_ = Clock::now() + *delay;
      spdlog::warn("event=record_retry kind={} count={} retry_in_ms={} note={}", DbErrorKindName(e.kind()),
                   batch.size(), delay->count(),
                   Q(e.kind() == DbErrorKind::kInDoubt ? "the commit may have happened; record is idempotent "
                                                         "per lease and message, so it is sent again"
                                                       : "results are kept until recorded"));
    }
    return false;
  }
  failures_ = 0;
  retry_at_ = {};
  metrics_.AddRecorded(long(batch.size()));
  spdlog::debug("event=recorded count={} logged={}", batch.size(), n);
  return true;
}

}  // namespace webhooks

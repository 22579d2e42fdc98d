#include "recorder.h"

#include <spdlog/spdlog.h>

#include <iterator>

#include "logging.h"

namespace webhooks {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

Recorder::Recorder(const Config& cfg, Metrics& metrics, std::function<void()> wake)
    : cfg_(cfg),
      metrics_(metrics),
      wake_(std::move(wake)),
      db_(cfg.database_url, cfg.worker_id, /*listen=*/false),
      backoff_(milliseconds(100), cfg.reconnect_max_backoff),
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
  EnsureConnected();       // at once, so that the first results do not wait for a connect
  int final_attempts = 0;  // records tried since Finish()
  std::unique_lock lk(mu_);
  while (true) {
    // Wait for results (and for a back-off to pass), for Finish() or for the destructor.
    if (stop_ || (finishing_ && (queue_.empty() || final_attempts >= 2))) break;
    if (queue_.empty()) {
      cv_.wait(lk);
      continue;
    }
    if (!finishing_ && Clock::now() < retry_at_) {
      cv_.wait_until(lk, retry_at_);
      continue;
    }
    // Take everything queued: results that arrived during the last record
    // are recorded together, in one transaction.
    std::vector<AttemptResult> batch;
    batch.swap(queue_);
    recording_ = batch.size();
    if (finishing_) ++final_attempts;
    lk.unlock();
    Outcome out = RecordOnce(batch);
    lk.lock();
    recording_ = 0;
    if (out == Outcome::kRetry) {  // keep them, ahead of those that arrived meanwhile
      batch.insert(batch.end(), std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.end()));
      queue_.swap(batch);
    } else if (out == Outcome::kRecorded) {
      records_done_.fetch_add(1);
    }
    lk.unlock();
    wake_();  // the loop may claim again (claim_after_record) or finish (--once)
    lk.lock();
  }
  finished_ = true;
  lk.unlock();
  finished_cv_.notify_all();
}

bool Recorder::EnsureConnected() {
  if (db_.connected()) return true;
  try {
    db_.Connect();
  } catch (const DbError& e) {
    auto wait = backoff_.Next();
    retry_at_ = Clock::now() + wait;
    metrics_.AddDbError(DbErrorKindName(e.kind()));
    spdlog::warn("event=db_connect_failed conn=recorder kind={} retry_in_ms={} error={}",
                 DbErrorKindName(e.kind()), wait.count(), Q(e.what()));
    return false;
  }
  backoff_.Reset();
  if (ever_connected_) metrics_.AddReconnect();
  ever_connected_ = true;
  spdlog::info("event=db_connected conn=recorder {}", db_.Describe());
  return true;
}

Recorder::Outcome Recorder::RecordOnce(const std::vector<AttemptResult>& batch) {
  if (!EnsureConnected()) return Outcome::kRetry;
  int n = 0;
  try {
    n = db_.Record(batch);
  } catch (const DbError& e) {
    metrics_.AddDbError(DbErrorKindName(e.kind()));
    bool lost = !db_.connected();
    if (e.kind() == DbErrorKind::kRetryable) {
      // Keep them; try again (after reconnecting).
      auto wait = lost ? backoff_.Next() : milliseconds(200);
      retry_at_ = Clock::now() + wait;
      spdlog::warn("event={} op=record conn=recorder kind={} retry_in_ms={} unrecorded={} error={}",
                   lost ? "db_lost" : "db_error", DbErrorKindName(e.kind()), wait.count(), batch.size(),
                   Q(e.what()));
      return Outcome::kRetry;
    }
    // In doubt: maybe recorded. Permanent: never will be. Either way a
    // retry is not safe or not useful; the leases expire and the messages
    // are delivered again (at least once).
    spdlog::error("event={} op=record conn=recorder kind={} error={}", lost ? "db_lost" : "db_error",
                  DbErrorKindName(e.kind()), Q(e.what()));
    spdlog::error("event=results_dropped count={} kind={} note={}", batch.size(), DbErrorKindName(e.kind()),
                  Q("messages not recorded are claimed again after their lease expires"));
    return Outcome::kDropped;
  }
  metrics_.AddRecorded(long(batch.size()));
  spdlog::debug("event=recorded count={} accepted={}", batch.size(), n);
  return Outcome::kRecorded;
}

}  // namespace webhooks

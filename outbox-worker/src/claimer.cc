#include "claimer.h"

namespace webhooks {

using Clock = std::chrono::steady_clock;

Claimer::Claimer(const Config& cfg, Metrics& metrics, FatalError& fatal, std::function<void()> wake)
    : cfg_(cfg),
      wake_(std::move(wake)),
      db_(cfg.database_url, cfg.worker_id, /*listen=*/false, "claim"),
      conn_("claimer", db_, metrics, fatal, cfg.reconnect_max_backoff, /*report_up=*/false),
      thread_([this] { Loop(); }) {}

Claimer::~Claimer() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Claimer::Start(ClaimPlan plan) {
  {
    std::lock_guard lk(mu_);
    plan_ = std::move(plan);
  }
  cv_.notify_all();  // the thread, and never a Wait() (the loop calls both)
}

bool Claimer::busy() const {
  std::lock_guard lk(mu_);
  return plan_ || running_ || outcome_;
}

std::optional<Claimer::Outcome> Claimer::Take() {
  std::lock_guard lk(mu_);
  std::optional<Outcome> out;
  out.swap(outcome_);
  return out;
}

std::optional<Claimer::Outcome> Claimer::Wait() {
  std::unique_lock lk(mu_);
  cv_.wait(lk, [this] { return !plan_ && !running_; });
  std::optional<Outcome> out;
  out.swap(outcome_);
  return out;
}

void Claimer::Loop() {
  conn_.Ensure(Clock::now());  // at once, so that the first claim does not wait for a connect
  std::unique_lock lk(mu_);
  while (true) {
    cv_.wait(lk, [this] { return stop_ || plan_; });
    if (stop_) break;
    Outcome o;
    o.plan = std::move(*plan_);
    plan_.reset();
    running_ = true;
    lk.unlock();
    if (!conn_.Ensure(Clock::now())) {
      // The supervisor logged the failed connect and set its back-off.
      o.error = DbError(DbErrorKind::kRetryable, "claim: not connected");
    } else {
      try {
        o.got = db_.Claim(o.plan.count, cfg_.lease, o.plan.skip);
      } catch (const DbError& e) {
        conn_.OnError("claim", e, Clock::now());
        o.error = e;
      }
    }
    lk.lock();
    running_ = false;
    outcome_ = std::move(o);
    lk.unlock();
    cv_.notify_all();  // Wait()
    wake_();
    lk.lock();
  }
}

}  // namespace webhooks

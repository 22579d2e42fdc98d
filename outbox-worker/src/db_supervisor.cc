#include "db_supervisor.h"

#include <spdlog/spdlog.h>

#include "logging.h"

namespace webhooks {

void FatalError::Set(const std::string& what) {
  {
    std::lock_guard lk(mu_);
    if (what_) return;
    what_ = what;
  }
  if (wake_) wake_();
}

bool FatalError::ClaimReport() {
  std::lock_guard lk(mu_);
  if (reported_) return false;
  reported_ = true;
  return true;
}

std::optional<std::string> FatalError::Get() const {
  std::lock_guard lk(mu_);
  return what_;
}

DbSupervisor::DbSupervisor(std::string name, Database& db, Metrics& metrics, FatalError& fatal,
                           std::chrono::milliseconds max_backoff, bool report_up)
    : name_(std::move(name)),
      db_(db),
      metrics_(metrics),
      fatal_(fatal),
      report_up_(report_up),
      backoff_(std::chrono::milliseconds(100), max_backoff) {}

namespace {

void ReportFatal(FatalError& fatal, const std::string& conn, const char* op, const DbError& e) {
  if (!fatal.ClaimReport()) return;  // once, whichever connection fails first
  spdlog::critical(
      "event=config_error conn={} op={} error={} note={}", conn, op, Q(e.what()),
      Q("this cannot heal by retrying: check the credentials, that the database has CREATE EXTENSION "
        "pg_webhooks, and that the worker's role is granted webhooks_worker; exiting"));
  fatal.Set(e.what());
}

}  // namespace

bool DbSupervisor::Ensure(Clock::time_point now, bool ignore_backoff) {
  if (db_.connected()) return true;
  if ((now < next_connect_at_ && !ignore_backoff) || fatal_.Get()) return false;
  try {
    db_.Connect();
  } catch (const DbError& e) {
    metrics_.AddDbError(DbErrorKindName(e.kind()));
    if (report_up_) metrics_.SetDbUp(false);
    if (e.kind() == DbErrorKind::kConfig) {
      ReportFatal(fatal_, name_, "connect", e);
      return false;
    }
    auto wait = backoff_.Next();
    next_connect_at_ = now + wait;
    spdlog::warn("event=db_connect_failed conn={} kind={} retry_in_ms={} error={}", name_,
                 DbErrorKindName(e.kind()), wait.count(), Q(e.what()));
    return false;
  }
  backoff_.Reset();
  if (report_up_) metrics_.SetDbUp(true);
  if (connects_ > 0) metrics_.AddReconnect();
  ++connects_;
  spdlog::info("event=db_connected conn={} {}", name_, db_.Describe());
  return true;
}

void DbSupervisor::OnError(const char* op, const DbError& e, Clock::time_point now,
                           const std::string& context) {
  metrics_.AddDbError(DbErrorKindName(e.kind()));
  std::string extra = context.empty() ? "" : " " + context;
  if (e.kind() == DbErrorKind::kConfig) {
    ReportFatal(fatal_, name_, op, e);
    return;
  }
  if (!db_.connected()) {
    if (report_up_) metrics_.SetDbUp(false);
    auto wait = backoff_.Next();
    next_connect_at_ = now + wait;
    spdlog::warn("event=db_lost op={} conn={} kind={} reconnect_in_ms={}{} error={}", op, name_,
                 DbErrorKindName(e.kind()), wait.count(), extra, Q(e.what()));
  } else {
    spdlog::error("event=db_error op={} conn={} kind={}{} error={}", op, name_, DbErrorKindName(e.kind()),
                  extra, Q(e.what()));
  }
}

}  // namespace webhooks

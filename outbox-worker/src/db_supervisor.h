// db_supervisor: keeps one Database connected, for the loop and for the
// recorder alike. It connects when due, backs off after failures (capped,
// jittered), says what happened in one line (event=db_connected,
// db_connect_failed, db_lost, db_error; conn=loop|recorder), and recognises
// errors that cannot heal (DbErrorKind::kConfig: authentication, missing
// database/role/schema/function, permission denied). Those are reported once,
// at critical level, into the FatalError both supervisors share; the worker
// then exits with kExitConfig instead of retrying in silence.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "db.h"
#include "metrics.h"

namespace webhooks {

// Exit status of a worker stopped by a configuration error (sysexits.h
// EX_CONFIG); the systemd unit does not restart on it
// (RestartPreventExitStatus=78), so `systemctl status` shows the failure.
inline constexpr int kExitConfig = 78;

// The first error that cannot heal, shared by the loop and the recorder.
class FatalError {
 public:
  explicit FatalError(std::function<void()> wake = nullptr) : wake_(std::move(wake)) {}
  // Keeps the first message; wakes the loop. Thread-safe.
  void Set(const std::string& what);
  std::optional<std::string> Get() const;
  // True for the first caller only: the one that reports the error. The
  // loop, the claimer and the recorder each have a connection, and a missing
  // grant fails all three at once; the error is reported once.
  bool ClaimReport();

 private:
  mutable std::mutex mu_;
  std::optional<std::string> what_;
  bool reported_ = false;
  std::function<void()> wake_;
};

class DbSupervisor {
 public:
  using Clock = std::chrono::steady_clock;
  // name: "loop" or "recorder" (the conn= field). report_up: this one
  // drives the webhooks_worker_db_up gauge.
  DbSupervisor(std::string name, Database& db, Metrics& metrics, FatalError& fatal,
               std::chrono::milliseconds max_backoff, bool report_up);

  // Connects unless connected or backing off (ignore_backoff: try anyway,
  // on shutdown); true when connected.
  bool Ensure(Clock::time_point now, bool ignore_backoff = false);
  // After a DbError from an operation on the database: count and log it,
  // schedule a reconnect if the connection went, report it if it cannot heal.
  // `context` is appended to the log line (e.g. "in_flight=3").
  void OnError(const char* op, const DbError& e, Clock::time_point now, const std::string& context = "");

  bool connected() const { return db_.connected(); }
  bool ever_connected() const { return connects_ > 0; }
  uint64_t connects() const { return connects_; }  // successful connects so far
  Clock::time_point next_connect_at() const { return next_connect_at_; }
  Database& db() { return db_; }

 private:
  std::string name_;
  Database& db_;
  Metrics& metrics_;
  FatalError& fatal_;
  bool report_up_;
  Backoff backoff_;
  uint64_t connects_ = 0;
  Clock::time_point next_connect_at_{};
};

}  // namespace webhooks

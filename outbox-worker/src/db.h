// db: the only code that includes libpqxx. A Database holds a work
// connection (claim, record, release, next_due) and, unless made with
// listen = false, a second connection that LISTENs on the "webhooks" channel
// and does nothing else. The worker uses two Databases: the loop's (work +
// LISTEN) and the recorder's (work only, for webhooks.record). Errors come out as DbError saying whether a
// retry is safe (libpqxx's advice: retry broken connections, never in-doubt
// commits).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "http.h"

namespace webhooks {

struct ClaimedMessage {
  int64_t message_id = 0;
  std::string event_id;
  int64_t subscription_id = 0;
  int attempt = 1;
  std::string url;
  std::vector<std::string> secrets;  // never logged
  std::vector<Header> headers;       // extra headers (string values only)
  std::string body;
  long timeout_ms = 10'000;
};

// One attempt's result, in the shape webhooks.record takes.
struct AttemptResult {
  int64_t message_id = 0;
  int attempt = 1;
  std::optional<int> status_code;
  long duration_ms = 0;
  std::optional<std::string> error;
  std::optional<std::string> response;
  std::optional<int64_t> retry_after_s;
};

// The jsonb array webhooks.record takes (invalid UTF-8 and NULs replaced).
std::string ResultsJson(const std::vector<AttemptResult>& results);

enum class DbErrorKind {
  kRetryable,  // connection lost, serialization failure, …: try again later
  kPermanent,  // SQL error that will not go away by itself (missing function, privileges)
  kInDoubt,    // the connection broke during COMMIT: it may or may not have happened
};
const char* DbErrorKindName(DbErrorKind kind);  // "retryable", "permanent", "in_doubt"

class DbError : public std::runtime_error {
 public:
  DbError(DbErrorKind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  DbErrorKind kind() const { return kind_; }

 private:
  DbErrorKind kind_;
};

class Database {
 public:
  // listen = false: no LISTEN connection (listen_fd() is -1 and
  // ConsumeNotifications() must not be called).
  Database(std::string conninfo, std::string worker_id, bool listen = true);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Opens the connection(s) and LISTENs; throws DbError.
  void Connect();
  void Disconnect();
  bool connected() const;

  // Socket of the LISTEN connection for poll(), or -1.
  int listen_fd() const;
  // Reads pending notifications; true if a NOTIFY webhooks arrived.
  bool ConsumeNotifications();

  std::vector<ClaimedMessage> Claim(int batch_size, std::chrono::milliseconds lease);
  int Record(const std::vector<AttemptResult>& results);
  int Release(const std::vector<int64_t>& message_ids);
  // Seconds from now until webhooks.next_due() (negative: overdue);
  // nullopt when nothing is queued.
  std::optional<double> NextDueIn();

  // "host=… port=… dbname=…" of the live connection, without secrets.
  std::string Describe() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Capped exponential back-off with jitter for reconnects.
class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max)
      : initial_(initial), max_(max), next_(initial) {}
  std::chrono::milliseconds Next();  // the delay to wait now; doubles the following one
  void Reset() { next_ = initial_; }

 private:
  std::chrono::milliseconds initial_, max_, next_;
};

}  // namespace webhooks

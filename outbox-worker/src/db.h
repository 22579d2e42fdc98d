// db: the only code that includes libpqxx. A Database holds a work
// connection (claim, record, release, next_due) and, unless made with
// listen = false, a second connection that LISTENs on the "webhooks" channel
// and declares the worker waiting or busy (webhooks.worker_waiting). The
// worker uses two Databases: the loop's (work + LISTEN) and the recorder's
// (work only, for webhooks.record). Errors come out as DbError saying what
// to do: retry later, retry after checking (in doubt: webhooks.record is
// idempotent per lease and message, so the recorder simply sends it again),
// or stop (a configuration error that cannot heal).
//
// Statements run in autocommit (one round trip each: the SQL functions are
// single statements, atomic by themselves) and are prepared once per
// connection. Measured at --concurrency 32 against nginx, 20,000 messages:
// see ../README.md "Figures".
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
  std::string lease_token;  // shared by every row of one claim; proves the lease to record/release
  int64_t message_id = 0;
  std::string event_id;
  int64_t subscription_id = 0;
  std::string subscription_name;
  int attempt = 1;
  std::string url;
  std::vector<std::string> secrets;  // never logged
  std::vector<Header> headers;       // extra headers (string values only)
  std::string body;
  long timeout_ms = 10'000;
};

// One attempt's result, in the shape webhooks.record takes: the lease that
// covered the request and the message; the database knows the rest (event,
// subscription, attempt) from the lease, so nothing here is trusted blindly.
struct AttemptResult {
  std::string lease_token;
  int64_t message_id = 0;
  std::optional<int> status_code;
  long duration_ms = 0;
  std::optional<std::string> error;
  std::optional<std::string> response;
  std::optional<int64_t> retry_after_s;
};

// The jsonb array webhooks.record takes (invalid UTF-8 and NULs replaced):
// [{"lease_token", "message_id", "status_code", "duration_ms", "error",
//   "response", "retry_after_s"}, …]. This is the daemon's only encoder;
// the contract test feeds its output into webhooks.record.
std::string ResultsJson(const std::vector<AttemptResult>& results);

enum class DbErrorKind {
  kRetryable,  // connection lost, serialization failure, …: try again later
  kPermanent,  // SQL error that will not go away by retrying the same call
  kInDoubt,    // the connection broke while the statement ran: it may or may not have happened
  kConfig,     // cannot heal: authentication, missing role/database/schema/function, permission denied
};
const char* DbErrorKindName(DbErrorKind kind);  // "retryable", "permanent", "in_doubt", "config"

// The kind of an error from its SQLSTATE ("" when unknown) and message
// (connection failures carry no SQLSTATE in libpq; their message is read).
DbErrorKind ClassifyDbError(const std::string& sqlstate, const std::string& message, bool connecting);

class DbError : public std::runtime_error {
 public:
  DbError(DbErrorKind kind, const std::string& what, std::string sqlstate = "")
      : std::runtime_error(what), kind_(kind), sqlstate_(std::move(sqlstate)) {}
  DbErrorKind kind() const { return kind_; }
  const std::string& sqlstate() const { return sqlstate_; }  // "" when none

 private:
  DbErrorKind kind_;
  std::string sqlstate_;
};

class Database {
 public:
  // listen = false: no LISTEN connection (listen_fd() is -1 and
  // ConsumeNotifications() must not be called). role: what the work
  // connection is for, in its application_name ("webhooks-worker (role)").
  Database(std::string conninfo, std::string worker_id, bool listen = true, std::string role = "work");
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
  // webhooks.worker_waiting(worker_id, waiting), on the LISTEN connection;
  // returns ConsumeNotifications() (one may have arrived meanwhile).
  bool SetWaiting(bool waiting);

  // webhooks.claim; skip: subscriptions this worker holds its fair share of.
  std::vector<ClaimedMessage> Claim(int batch_size, std::chrono::milliseconds lease,
                                    const std::vector<int64_t>& skip = {});
  int Record(const std::vector<AttemptResult>& results);
  int Release(const std::string& lease_token, const std::vector<int64_t>& message_ids);
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

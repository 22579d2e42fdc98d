#include "db.h"

#include <atomic>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <random>

namespace webhooks {
namespace {

// SQLSTATE classes worth retrying: connection exceptions, transaction
// rollbacks (serialization, deadlock), insufficient resources, operator
// intervention (shutdown, cancel), lock not available.
bool RetryableSqlState(const std::string& s) {
  return s.starts_with("08") || s.starts_with("40") || s.starts_with("53") || s.starts_with("57") ||
         s == "55P03" || s == "55006";
}

std::string ListenChannel() {
  return "webhooks";
}

class Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& c, bool* flag)
      : pqxx::notification_receiver(c, ListenChannel()), flag_(flag) {}
  void operator()(const std::string&, int) override { *flag_ = true; }

 private:
  bool* flag_;
};

}  // namespace

const char* DbErrorKindName(DbErrorKind kind) {
  switch (kind) {
    case DbErrorKind::kRetryable: return "retryable";
    case DbErrorKind::kPermanent: return "permanent";
    case DbErrorKind::kInDoubt: return "in_doubt";
    case DbErrorKind::kConfig: return "config";
  }
  return "permanent";
}

DbErrorKind ClassifyDbError(const std::string& sqlstate, const std::string& message, bool connecting) {
  // Cannot heal by waiting: wrong credentials or pg_hba rule (28xxx), no
  // such database (3D000) or schema (3F000), no grant (42501), the
  // extension missing or too old (42883 undefined function, 42P01 undefined
  // table, 42704 undefined object).
  if (sqlstate.starts_with("28") || sqlstate == "3D000" || sqlstate == "3F000" || sqlstate == "42501" ||
      sqlstate == "42883" || sqlstate == "42P01" || sqlstate == "42704")
    return DbErrorKind::kConfig;
  if (!sqlstate.empty())
    return RetryableSqlState(sqlstate) ? DbErrorKind::kRetryable : DbErrorKind::kPermanent;
  if (connecting) {
    // libpq reports a refused login as text only (the server's FATAL line).
    for (const char* needle :
         {"authentication failed", "password authentication", "no pg_hba.conf entry", "pg_hba.conf rejects",
          "no password supplied", "does not exist", "permission denied", "not permitted to log in",
          "invalid connection option", "invalid URI", "missing \"=\" after"})
      if (message.find(needle) != std::string::npos) return DbErrorKind::kConfig;
  }
  return DbErrorKind::kRetryable;
}

std::string ResultsJson(const std::vector<AttemptResult>& results) {
  nlohmann::json arr = nlohmann::json::array();
  auto clean = [](const std::string& s) {
    std::string out = s;
    for (auto& c : out)
      if (c == '\0') c = ' ';  // jsonb cannot hold \u0000
    return out;
  };
  for (const auto& r : results) {
    nlohmann::json o;
    o["lease_token"] = r.lease_token;
    o["message_id"] = r.message_id;
    o["status_code"] = r.status_code ? nlohmann::json(*r.status_code) : nlohmann::json(nullptr);
    o["duration_ms"] = r.duration_ms;
    o["error"] = r.error ? nlohmann::json(clean(*r.error)) : nlohmann::json(nullptr);
    o["response"] = r.response ? nlohmann::json(clean(*r.response)) : nlohmann::json(nullptr);
    o["retry_after_s"] = r.retry_after_s ? nlohmann::json(*r.retry_after_s) : nlohmann::json(nullptr);
    arr.push_back(std::move(o));
  }
  return arr.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::chrono::milliseconds Backoff::Next() {
  static thread_local std::mt19937 rng{std::random_device{}()};
  auto current = next_;
  next_ = std::min(max_, next_ * 2);
  // ±20 % jitter so that a fleet of workers does not reconnect in step.
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  return std::chrono::milliseconds(static_cast<long long>(double(current.count()) * jitter(rng)));
}

namespace {

// One line for a log: libpq messages end in newlines and may carry a
// "DETAIL"/"HINT" on further lines; keep them, joined.
std::string OneLine(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (auto& c : text)
    if (c == '\n') c = ' ';
  return text;
}

// The SQLSTATE of an error. libpqxx 6 throws its specific exception classes
// (insufficient_privilege, undefined_function, …) without the code, which
// printed "(SQLSTATE )" for a permission error; the class says which it was.
std::string SqlState(const pqxx::sql_error& e) {
  if (!e.sqlstate().empty()) return e.sqlstate();
  auto is = [&e](auto* type) { return dynamic_cast<decltype(type)>(&e) != nullptr; };
  if (is((const pqxx::insufficient_privilege*)nullptr)) return "42501";
  if (is((const pqxx::undefined_function*)nullptr)) return "42883";
  if (is((const pqxx::undefined_table*)nullptr)) return "42P01";
  if (is((const pqxx::undefined_column*)nullptr)) return "42703";
  if (is((const pqxx::syntax_error*)nullptr)) return "42601";
  if (is((const pqxx::invalid_sql_statement_name*)nullptr)) return "26000";
  if (is((const pqxx::not_null_violation*)nullptr)) return "23502";
  if (is((const pqxx::foreign_key_violation*)nullptr)) return "23503";
  if (is((const pqxx::unique_violation*)nullptr)) return "23505";
  if (is((const pqxx::check_violation*)nullptr)) return "23514";
  if (is((const pqxx::integrity_constraint_violation*)nullptr)) return "23000";
  if (is((const pqxx::data_exception*)nullptr)) return "22000";
  if (is((const pqxx::feature_not_supported*)nullptr)) return "0A000";
  if (is((const pqxx::disk_full*)nullptr)) return "53100";
  if (is((const pqxx::out_of_memory*)nullptr)) return "53200";
  if (is((const pqxx::insufficient_resources*)nullptr)) return "53000";
  if (is((const pqxx::plpgsql_raise*)nullptr)) return "P0001";
  if (is((const pqxx::plpgsql_error*)nullptr)) return "P0000";
  return "";
}

// Test hook (WEBHOOKS_TEST_FAULTS=record_in_doubt): the first record that
// commits then reports "in doubt", as if the connection had broken during
// the commit, so an integration test can prove the retry logs once.
bool TakeFault(const char* name) {
  static std::atomic<bool> used{false};
  const char* faults = std::getenv("WEBHOOKS_TEST_FAULTS");
  if (faults == nullptr || std::string(faults).find(name) == std::string::npos) return false;
  return !used.exchange(true);
}

}  // namespace

struct Database::Impl {
  std::string conninfo;
  std::string worker_id;
  bool with_listen = true;
  std::string role;
  std::unique_ptr<pqxx::connection> listen;
  std::unique_ptr<Receiver> receiver;
  std::unique_ptr<pqxx::connection> work;
  bool notified = false;

  void Drop() {
    receiver.reset();  // before its connection
    listen.reset();
    work.reset();
  }

  // Runs f(tx) in autocommit on connection c (each call is one statement,
  // atomic by itself: one round trip instead of BEGIN/statement/COMMIT),
  // translating errors. in_doubt: a broken connection means the statement
  // may have committed (record, release); otherwise it is simply retryable.
  template <typename F>
  auto Run(pqxx::connection* c, const char* what, bool in_doubt, F&& f) {
    if (c == nullptr) throw DbError(DbErrorKind::kRetryable, std::string(what) + ": not connected");
    try {
      pqxx::nontransaction tx(*c);
      return f(tx);
    } catch (const pqxx::in_doubt_error& e) {
      Drop();
      throw DbError(DbErrorKind::kInDoubt, std::string(what) + ": " + OneLine(e.what()));
    } catch (const pqxx::broken_connection& e) {
      Drop();
      throw DbError(in_doubt ? DbErrorKind::kInDoubt : DbErrorKind::kRetryable,
                    std::string(what) + ": connection lost: " + OneLine(e.what()));
    } catch (const pqxx::statement_completion_unknown& e) {
      Drop();
      throw DbError(DbErrorKind::kInDoubt, std::string(what) + ": " + OneLine(e.what()));
    } catch (const pqxx::transaction_rollback& e) {  // serialization failure, deadlock (40xxx)
      throw DbError(DbErrorKind::kRetryable, std::string(what) + ": " + OneLine(e.what()));
    } catch (const pqxx::sql_error& e) {
      std::string state = SqlState(e);
      if (state.starts_with("08") || state.starts_with("57P")) Drop();
      std::string msg = std::string(what) + ": " + OneLine(e.what());
      if (!state.empty()) msg += " (SQLSTATE " + state + ")";
      throw DbError(ClassifyDbError(state, e.what(), false), msg, state);
    } catch (const DbError&) {
      throw;
    } catch (const std::exception& e) {
      // usage/conversion errors: a bug or an incompatible SQL API.
      throw DbError(DbErrorKind::kPermanent, std::string(what) + ": " + OneLine(e.what()));
    }
  }
};

Database::Database(std::string conninfo, std::string worker_id, bool listen, std::string role)
    : impl_(std::make_unique<Impl>()) {
  impl_->role = std::move(role);
  impl_->conninfo = std::move(conninfo);
  impl_->worker_id = std::move(worker_id);
  impl_->with_listen = listen;
  // Defaults a conninfo can still override: bounded connects, a name in pg_stat_activity.
  setenv("PGCONNECT_TIMEOUT", "5", 0);
  setenv("PGAPPNAME", "webhooks-worker", 0);
}

Database::~Database() {
  Disconnect();
}

namespace {

const char* kClaimSql =
    "SELECT lease_token::text, message_id, event_id::text, subscription_id, subscription_name, attempt, url, "
    "       coalesce(array_to_json(secrets), '[]')::text, coalesce(headers, '{}')::text, body, timeout_ms "
    "FROM webhooks.claim($1, $2, $3::interval, $4::bigint[])";

std::string BigintArray(const std::vector<int64_t>& ids) {
  std::string arr = "{";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) arr += ',';
    arr += std::to_string(ids[i]);
  }
  return arr + '}';
}

}  // namespace

void Database::Connect() {
  Disconnect();
  try {
    impl_->work = std::make_unique<pqxx::connection>(impl_->conninfo);
    // Each connection says what it is for in pg_stat_activity, after
    // whatever application_name the operator chose.
    auto label = [](pqxx::connection& c, const std::string& role) {
      pqxx::nontransaction(c).exec(
          std::string("SELECT set_config('application_name', current_setting('application_name') || ' (") +
          role + ")', false)");
    };
    label(*impl_->work, impl_->role);
    impl_->work->prepare("claim", kClaimSql);
    impl_->work->prepare("record", "SELECT webhooks.record($1, $2::jsonb)");
    impl_->work->prepare("release", "SELECT webhooks.release($1, $2::uuid, $3::bigint[])");
    impl_->work->prepare("next_due",
                         "SELECT extract(epoch FROM webhooks.next_due() - clock_timestamp())::float8");
    if (!impl_->with_listen) return;
    impl_->listen = std::make_unique<pqxx::connection>(impl_->conninfo);
    label(*impl_->listen, "listen");
    impl_->listen->prepare("waiting", "SELECT webhooks.worker_waiting($1, $2)");
    impl_->receiver = std::make_unique<Receiver>(*impl_->listen, &impl_->notified);
    impl_->listen->get_notifs();  // issues the LISTEN now
  } catch (const pqxx::sql_error& e) {
    impl_->Drop();
    std::string state = SqlState(e);
    std::string msg = "connect: " + OneLine(e.what());
    if (!state.empty()) msg += " (SQLSTATE " + state + ")";
    throw DbError(ClassifyDbError(state, e.what(), true), msg);
  } catch (const std::exception& e) {
    impl_->Drop();
    throw DbError(ClassifyDbError("", e.what(), true), "connect: " + OneLine(e.what()));
  }
}

void Database::Disconnect() {
  impl_->Drop();
}

bool Database::connected() const {
  return impl_->work && (!impl_->with_listen || (impl_->listen && impl_->receiver));
}

int Database::listen_fd() const {
  return impl_->listen ? impl_->listen->sock() : -1;
}

bool Database::ConsumeNotifications() {
  if (!impl_->listen) throw DbError(DbErrorKind::kRetryable, "listen: not connected");
  try {
    impl_->listen->get_notifs();
  } catch (const std::exception& e) {
    impl_->Drop();
    throw DbError(DbErrorKind::kRetryable, "listen: connection lost: " + OneLine(e.what()));
  }
  if (impl_->listen->sock() < 0) {
    impl_->Drop();
    throw DbError(DbErrorKind::kRetryable, "listen: connection lost");
  }
  bool n = impl_->notified;
  impl_->notified = false;
  return n;
}

bool Database::SetWaiting(bool waiting) {
  impl_->Run(impl_->listen.get(), "worker_waiting", false, [&](pqxx::nontransaction& tx) {
    tx.exec_prepared("waiting", impl_->worker_id, waiting);
    return 0;
  });
  // A NOTIFY that arrived during the statement is already in libpq's
  // buffer: the socket will not turn readable for it.
  return ConsumeNotifications();
}

std::vector<ClaimedMessage> Database::Claim(int batch_size, std::chrono::milliseconds lease,
                                            const std::vector<int64_t>& skip) {
  return impl_->Run(impl_->work.get(), "claim", false, [&](pqxx::nontransaction& tx) {
    pqxx::result rows = tx.exec_prepared("claim", impl_->worker_id, batch_size,
                                         std::to_string(lease.count()) + " milliseconds", BigintArray(skip));
    std::vector<ClaimedMessage> out;
    out.reserve(rows.size());
    for (const auto& row : rows) {
      ClaimedMessage m;
      m.lease_token = row[0].as<std::string>();
      m.message_id = row[1].as<long long>();
      m.event_id = row[2].as<std::string>();
      m.subscription_id = row[3].as<long long>();
      m.subscription_name = row[4].is_null() ? "" : row[4].as<std::string>();
      m.attempt = row[5].as<int>();
      m.url = row[6].as<std::string>();
      for (const auto& s : nlohmann::json::parse(row[7].as<std::string>()))
        if (s.is_string()) m.secrets.push_back(s.get<std::string>());
      auto headers = nlohmann::json::parse(row[8].as<std::string>());
      if (headers.is_object())
        for (const auto& [k, v] : headers.items())
          if (v.is_string()) m.headers.push_back({k, v.get<std::string>()});
      m.body = row[9].as<std::string>();
      m.timeout_ms = row[10].is_null() ? 10'000 : row[10].as<long>();
      out.push_back(std::move(m));
    }
    return out;
  });
}

int Database::Record(const std::vector<AttemptResult>& results) {
  if (results.empty()) return 0;
  std::string json = ResultsJson(results);
  int n = impl_->Run(impl_->work.get(), "record", true, [&](pqxx::nontransaction& tx) {
    auto r = tx.exec_prepared("record", impl_->worker_id, json);
    return r.empty() || r[0][0].is_null() ? 0 : r[0][0].as<int>();
  });
  if (TakeFault("record_in_doubt")) {
    impl_->Drop();
    throw DbError(DbErrorKind::kInDoubt, "record: connection lost during commit (test fault)");
  }
  return n;
}

int Database::Release(const std::string& lease_token, const std::vector<int64_t>& message_ids) {
  if (message_ids.empty()) return 0;
  return impl_->Run(impl_->work.get(), "release", true, [&](pqxx::nontransaction& tx) {
    auto r = tx.exec_prepared("release", impl_->worker_id, lease_token, BigintArray(message_ids));
    return r.empty() || r[0][0].is_null() ? 0 : r[0][0].as<int>();
  });
}

std::optional<double> Database::NextDueIn() {
  return impl_->Run(impl_->work.get(), "next_due", false,
                    [&](pqxx::nontransaction& tx) -> std::optional<double> {
                      auto r = tx.exec_prepared("next_due");
                      if (r.empty() || r[0][0].is_null()) return std::nullopt;
                      return r[0][0].as<double>();
                    });
}

std::string Database::Describe() const {
  if (!impl_->work) return "not connected";
  auto s = [](const char* v) { return std::string(v ? v : ""); };
  return "host=" + s(impl_->work->hostname()) + " port=" + s(impl_->work->port()) +
         " dbname=" + s(impl_->work->dbname()) + " user=" + s(impl_->work->username());
}

}  // namespace webhooks

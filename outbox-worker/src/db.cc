#include "db.h"

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
  }
  return "permanent";
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
    o["message_id"] = r.message_id;
    o["attempt"] = r.attempt;
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

struct Database::Impl {
  std::string conninfo;
  std::string worker_id;
  bool with_listen = true;
  std::unique_ptr<pqxx::connection> listen;
  std::unique_ptr<Receiver> receiver;
  std::unique_ptr<pqxx::connection> work;
  bool notified = false;

  void Drop() {
    receiver.reset();  // before its connection
    listen.reset();
    work.reset();
  }

  // Runs f(txn) in a transaction on the work connection, translating errors.
  template <typename F>
  auto Transact(const char* what, F&& f) {
    if (!work) throw DbError(DbErrorKind::kRetryable, std::string(what) + ": not connected");
    try {
      pqxx::work txn(*work);
      auto out = f(txn);
      txn.commit();
      return out;
    } catch (const pqxx::in_doubt_error& e) {
      Drop();
      throw DbError(DbErrorKind::kInDoubt, std::string(what) + ": " + e.what());
    } catch (const pqxx::broken_connection& e) {
      Drop();
      throw DbError(DbErrorKind::kRetryable, std::string(what) + ": connection lost: " + e.what());
    } catch (const pqxx::sql_error& e) {
      bool retry = RetryableSqlState(e.sqlstate());
      if (e.sqlstate().starts_with("08") || e.sqlstate().starts_with("57P")) Drop();
      throw DbError(retry ? DbErrorKind::kRetryable : DbErrorKind::kPermanent,
                    std::string(what) + ": " + e.what() + " (SQLSTATE " + e.sqlstate() + ")");
    } catch (const DbError&) {
      throw;
    } catch (const std::exception& e) {
      // usage/conversion errors: a bug or an incompatible SQL API.
      throw DbError(DbErrorKind::kPermanent, std::string(what) + ": " + e.what());
    }
  }
};

Database::Database(std::string conninfo, std::string worker_id, bool listen)
    : impl_(std::make_unique<Impl>()) {
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

void Database::Connect() {
  Disconnect();
  try {
    impl_->work = std::make_unique<pqxx::connection>(impl_->conninfo);
    // Each connection says what it is for in pg_stat_activity, after
    // whatever application_name the operator chose.
    auto label = [](pqxx::connection& c, const char* role) {
      pqxx::nontransaction(c).exec(
          std::string("SELECT set_config('application_name', current_setting('application_name') || ' (") +
          role + ")', false)");
    };
    label(*impl_->work, impl_->with_listen ? "claim" : "record");
    if (!impl_->with_listen) return;
    impl_->listen = std::make_unique<pqxx::connection>(impl_->conninfo);
    label(*impl_->listen, "listen");
    impl_->receiver = std::make_unique<Receiver>(*impl_->listen, &impl_->notified);
    impl_->listen->get_notifs();  // issues the LISTEN now
  } catch (const pqxx::broken_connection& e) {
    impl_->Drop();
    throw DbError(DbErrorKind::kRetryable, std::string("connect: ") + e.what());
  } catch (const pqxx::sql_error& e) {
    impl_->Drop();
    throw DbError(RetryableSqlState(e.sqlstate()) ? DbErrorKind::kRetryable : DbErrorKind::kPermanent,
                  std::string("connect: ") + e.what());
  } catch (const std::exception& e) {
    impl_->Drop();
    throw DbError(DbErrorKind::kRetryable, std::string("connect: ") + e.what());
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
    throw DbError(DbErrorKind::kRetryable, std::string("listen: connection lost: ") + e.what());
  }
  if (impl_->listen->sock() < 0) {
    impl_->Drop();
    throw DbError(DbErrorKind::kRetryable, "listen: connection lost");
  }
  bool n = impl_->notified;
  impl_->notified = false;
  return n;
}

std::vector<ClaimedMessage> Database::Claim(int batch_size, std::chrono::milliseconds lease) {
  return impl_->Transact("claim", [&](pqxx::work& txn) {
    pqxx::result rows = txn.exec_params(
        "SELECT message_id, event_id::text, subscription_id, attempt, url, "
        "       coalesce(array_to_json(secrets), '[]')::text, coalesce(headers, '{}')::text, "
        "       body, timeout_ms "
        "FROM webhooks.claim($1, $2, $3::interval)",
        impl_->worker_id, batch_size, std::to_string(lease.count()) + " milliseconds");
    std::vector<ClaimedMessage> out;
    out.reserve(rows.size());
    for (const auto& row : rows) {
      ClaimedMessage m;
      m.message_id = row[0].as<long long>();
      m.event_id = row[1].as<std::string>();
      m.subscription_id = row[2].as<long long>();
      m.attempt = row[3].as<int>();
      m.url = row[4].as<std::string>();
      for (const auto& s : nlohmann::json::parse(row[5].as<std::string>()))
        if (s.is_string()) m.secrets.push_back(s.get<std::string>());
      auto headers = nlohmann::json::parse(row[6].as<std::string>());
      if (headers.is_object())
        for (const auto& [k, v] : headers.items())
          if (v.is_string()) m.headers.push_back({k, v.get<std::string>()});
      m.body = row[7].as<std::string>();
      m.timeout_ms = row[8].is_null() ? 10'000 : row[8].as<long>();
      out.push_back(std::move(m));
    }
    return out;
  });
}

int Database::Record(const std::vector<AttemptResult>& results) {
  if (results.empty()) return 0;
  std::string json = ResultsJson(results);
  return impl_->Transact("record", [&](pqxx::work& txn) {
    auto row = txn.exec_params1("SELECT webhooks.record($1, $2::jsonb)", impl_->worker_id, json);
    return row[0].is_null() ? 0 : row[0].as<int>();
  });
}

int Database::Release(const std::vector<int64_t>& message_ids) {
  if (message_ids.empty()) return 0;
  std::string arr = "{";
  for (size_t i = 0; i < message_ids.size(); ++i) {
    if (i) arr += ',';
    arr += std::to_string(message_ids[i]);
  }
  arr += '}';
  return impl_->Transact("release", [&](pqxx::work& txn) {
    auto row = txn.exec_params1("SELECT webhooks.release($1, $2::bigint[])", impl_->worker_id, arr);
    return row[0].is_null() ? 0 : row[0].as<int>();
  });
}

std::optional<double> Database::NextDueIn() {
  return impl_->Transact("next_due", [&](pqxx::work& txn) -> std::optional<double> {
    auto row = txn.exec1("SELECT extract(epoch FROM webhooks.next_due() - clock_timestamp())::float8");
    if (row[0].is_null()) return std::nullopt;
    return row[0].as<double>();
  });
}

std::string Database::Describe() const {
  if (!impl_->work) return "not connected";
  auto s = [](const char* v) { return std::string(v ? v : ""); };
  return "host=" + s(impl_->work->hostname()) + " port=" + s(impl_->work->port()) +
         " dbname=" + s(impl_->work->dbname()) + " user=" + s(impl_->work->username());
}

}  // namespace webhooks

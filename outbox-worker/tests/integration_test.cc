// End to end: a real PostgreSQL database (cloned from
// $WEBHOOKS_TEST_TEMPLATE_DB), a real receiver on 127.0.0.1 and the
// webhooks-worker binary. Only loopback is ever connected to.
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <set>

#include "db.h"
#include "support.h"

namespace webhooks::test {
namespace {

using namespace std::chrono_literals;

class Integration : public ::testing::Test {
 protected:
  void SetUp() override {
    try {
      db_ = std::make_unique<TestDatabase>();
    } catch (const std::exception& e) {
      FAIL() << e.what();
    }
    db_->Exec("INSERT INTO webhooks.event_types (name) VALUES ('order.created')");
  }

  void TearDown() override {
    if (HasFailure())
      for (auto& w : workers_)
        std::cerr << "---- worker log (pid " << w->pid() << ")\n" << w->log() << "----\n";
    workers_.clear();  // SIGKILLs any still running, before the database goes
    db_.reset();
  }

  // Creates a subscription to order.created; returns its secret.
  std::string Subscribe(const std::string& url, const std::string& extra_columns = "",
                        const std::string& extra_values = "") {
    return db_->Scalar("INSERT INTO webhooks.subscriptions (name, url, event_types" + extra_columns +
                       ") VALUES ('test', '" + url + "', '{order.created}'" + extra_values +
                       ") RETURNING secret");
  }

  void Publish(int n) {
    db_->Exec(
        "SELECT webhooks.publish('order.created', jsonb_build_object('n', i)) FROM generate_series(1, " +
        std::to_string(n) + ") AS i");
  }

  // The fixture owns the process: its log is printed if the test fails.
  WorkerProcess* Start(std::vector<std::string> args) {
    workers_.push_back(std::make_unique<WorkerProcess>(db_->conninfo(), std::move(args)));
    return workers_.back().get();
  }

  // Runs `webhooks-worker --once …` to completion; returns its exit code.
  int RunOnce(std::vector<std::string> args) {
    args.push_back("--once");
    auto w = Start(args);
    auto rc = w->Wait(60s);
    EXPECT_TRUE(rc.has_value()) << "--once did not finish";
    return rc.value_or(-1);
  }

  long long Pending() { return db_->Count("SELECT count(*) FROM webhooks.messages WHERE state = 'pending'"); }
  long long Delivered() {
    return db_->Count("SELECT count(*) FROM webhooks.deliveries WHERE outcome = 'delivered'");
  }

  std::unique_ptr<TestDatabase> db_;
  std::vector<std::unique_ptr<WorkerProcess>> workers_;
};

const std::vector<std::string> kLocal = {"--allow-private-networks"};

size_t Occurrences(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = 0; (pos = text.find(needle, pos)) != std::string::npos; pos += needle.size()) ++n;
  return n;
}

// A loopback port nobody listens on right now (the kernel picks it).
int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

TEST(IntegrationSetup, TemplateDatabaseIsConfigured) {
  // Says loudly, instead of skipping, when the harness did not provide a database.
  const char* tmpl = std::getenv("WEBHOOKS_TEST_TEMPLATE_DB");
  ASSERT_TRUE(tmpl != nullptr && *tmpl != '\0')
      << "WEBHOOKS_TEST_TEMPLATE_DB is not set: the integration tests need a database with "
         "pg_webhooks installed (run `make test`)";
}

// /metrics and /healthz as a scraper sees them: from the running daemon.
TEST_F(Integration, MetricsAndHealthServedByTheRunningDaemon) {
  Receiver rx;
  Subscribe(rx.url());
  Publish(3);
  int port = FreeLoopbackPort();
  auto w = Start({"--allow-private-networks", "--metrics-listen", "127.0.0.1:" + std::to_string(port)});
  ASSERT_TRUE(Eventually([&] { return Delivered() == 3; }, 30s)) << "delivered=" << Delivered();
  httplib::Client scraper("127.0.0.1", port);
  std::string text;
  EXPECT_TRUE(Eventually(
      [&] {
        auto r = scraper.Get("/metrics");
        if (r && r->status == 200) text = r->body;
        return text.find("webhooks_worker_deliveries_total{outcome=\"delivered\"} 3") != std::string::npos;
      },
      10s))
      << text;
  EXPECT_NE(text.find("webhooks_worker_claimed_total 3"), std::string::npos) << text;
  auto health = scraper.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  // and the database sees which connection does what
  EXPECT_EQ(
      db_->Count("SELECT count(DISTINCT substring(application_name FROM ' \\((claim|listen|record|work)\\)$')) "
                 "FROM pg_stat_activity WHERE datname = current_database()"),
      4);
  w->Signal(SIGTERM);
  EXPECT_EQ(w->Wait(15s), 0);
}

TEST_F(Integration, DeliveredEndToEndWithVerifiedSignature) {
  Receiver rx;
  std::string secret = Subscribe(rx.url(), ", headers", ", '{\"X-Tenant\": \"acme\"}'");
  Publish(3);
  ASSERT_EQ(RunOnce(kLocal), 0);
  auto got = rx.requests();
  ASSERT_EQ(got.size(), 3u);
  std::set<std::string> ids, ns;
  for (const auto& r : got) {
    EXPECT_TRUE(VerifySignature(secret, r)) << r.headers.at("webhook-signature");
    EXPECT_EQ(r.headers.at("content-type"), "application/json");
    EXPECT_EQ(r.headers.at("user-agent"), std::string("pg_webhooks/") + WEBHOOKS_WORKER_VERSION);
    EXPECT_EQ(r.headers.at("x-tenant"), "acme");
    EXPECT_LE(std::abs(std::stoll(r.headers.at("webhook-timestamp")) - std::time(nullptr)), 60);
    auto body = nlohmann::json::parse(r.body);
    EXPECT_EQ(body["type"], "order.created");
    EXPECT_TRUE(body["timestamp"].is_string());
    ns.insert(body["data"]["n"].dump());
    ids.insert(r.headers.at("webhook-id"));
  }
  EXPECT_EQ(ns, (std::set<std::string>{"1", "2", "3"}));
  // webhook-id is the event's id.
  for (const auto& row : db_->Rows("SELECT id::text FROM webhooks.events"))
    EXPECT_TRUE(ids.count(row[0])) << row[0];
  EXPECT_EQ(Delivered(), 3);
  EXPECT_EQ(db_->Count(
                "SELECT count(*) FROM webhooks.deliveries WHERE status_code = 200 AND worker_id IS NOT NULL"),
            3);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM webhooks.messages"), 0);
}

TEST_F(Integration, ServerErrorThenSuccessIsRetriedAndDelivered) {
  Receiver rx([](int nth, const Received&) { return nth == 0 ? 500 : 200; });
  Subscribe(rx.url(), ", retry_schedule", ", '{100ms,100ms}'");
  Publish(2);
  auto w = Start(kLocal);
  EXPECT_TRUE(Eventually([&] { return Delivered() == 2; }, 20s)) << "delivered=" << Delivered();
  w->Signal(SIGTERM);
  EXPECT_EQ(w->Wait(15s), 0);
  EXPECT_EQ(rx.count(), 4u);
  EXPECT_EQ(
      db_->Count("SELECT count(*) FROM webhooks.deliveries WHERE outcome = 'retrying' AND status_code = 500 "
                 "AND attempt = 1"),
      2);
  EXPECT_EQ(
      db_->Count("SELECT count(*) FROM webhooks.deliveries WHERE outcome = 'delivered' AND attempt = 2"), 2);
}

TEST_F(Integration, NotFoundFailsWithoutRetry) {
  Receiver rx([](int, const Received&) { return 404; });
  Subscribe(rx.url(), ", retry_schedule", ", '{100ms,100ms}'");
  Publish(1);
  ASSERT_EQ(RunOnce(kLocal), 0);
  std::this_thread::sleep_for(300ms);  // a retry would be due by now
  ASSERT_EQ(RunOnce(kLocal), 0);
  EXPECT_EQ(rx.count(), 1u);
  EXPECT_EQ(
      db_->Count("SELECT count(*) FROM webhooks.deliveries WHERE outcome = 'failed' AND status_code = 404"),
      1);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM webhooks.deliveries"), 1);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM webhooks.messages WHERE state = 'failed'"), 1);
}

TEST_F(Integration, HangingReceiverTimesOutAndIsRetried) {
  Receiver* rxp = nullptr;
  Receiver rx([&rxp](int nth, const Received&) {
    if (nth == 0) rxp->SleepWhileHeld(5s);
    return 200;
  });
  rxp = &rx;
  rx.Hold();
  Subscribe(rx.url(), ", retry_schedule, timeout", ", '{100ms,100ms}', '500ms'");
  Publish(1);
  auto w = Start(kLocal);
  EXPECT_TRUE(Eventually([&] { return Delivered() == 1; }, 20s));
  rx.Unhold();
  w->Signal(SIGTERM);
  EXPECT_EQ(w->Wait(15s), 0);
  auto first = db_->Rows(
      "SELECT outcome, coalesce(status_code::text, 'null'), error, duration_ms FROM "
      "webhooks.deliveries WHERE attempt = 1");
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0][0], "retrying");
  EXPECT_EQ(first[0][1], "null");
  EXPECT_NE(first[0][2].find("timeout"), std::string::npos) << first[0][2];
  EXPECT_GE(std::stoi(first[0][3]), 450);
  EXPECT_LT(std::stoi(first[0][3]), 3000);
  EXPECT_GE(rx.count(), 2u);
}

TEST_F(Integration, CircuitTripsAtThresholdAndRecoversByProbe) {
  std::atomic<int> status{500};
  Receiver rx([&status](int, const Received&) { return status.load(); });
  Subscribe(rx.url(), ", retry_schedule, circuit_threshold", ", '{100ms,100ms,100ms,100ms,100ms,100ms}', 3");
  Publish(2);
  auto w = Start(kLocal);
  auto state = [&] {
    return db_->Scalar("SELECT state FROM webhooks.subscription_status WHERE name = 'test'");
  };
  ASSERT_TRUE(Eventually([&] { return state() == "tripped"; }, 20s)) << "state=" << state();
  // Attempts already in flight when it tripped may still land: at least the threshold.
  EXPECT_GE(db_->Count("SELECT consecutive_failures FROM webhooks.subscriptions"), 3);
  std::this_thread::sleep_for(300ms);
  size_t while_tripped = rx.count();
  // The 2 messages fail together, which counts as one signal (contract §9):
  // 3 rounds of 2 trip it.
  EXPECT_LE(while_tripped, 6u);
  std::this_thread::sleep_for(700ms);
  EXPECT_EQ(rx.count(), while_tripped);  // nothing more is sent until the probe
  status = 200;
  // Skip the cool-down: make the probe due now (internal column, docs/internals.md).
  db_->Exec("UPDATE webhooks.subscriptions SET probe_at = now()");
  EXPECT_TRUE(Eventually([&] { return state() == "active"; }, 20s)) << "state=" << state();
  EXPECT_TRUE(Eventually([&] { return Delivered() == 2; }, 20s)) << "delivered=" << Delivered();
  EXPECT_EQ(
      db_->Count("SELECT count(*) FROM webhooks.subscriptions WHERE enabled AND auto_disabled_at IS NULL "
                 "AND consecutive_failures = 0"),
      1);
  w->Signal(SIGTERM);
  EXPECT_EQ(w->Wait(15s), 0);
}

TEST_F(Integration, TwoWorkersNeverDeliverTheSameMessageTwice) {
  // A few milliseconds per request keep the queue from draining before the
  // second worker's first claim, so both really compete for the messages.
  Receiver rx([](int, const Received&) {
    std::this_thread::sleep_for(5ms);
    return 200;
  });
  Subscribe(rx.url(), ", max_in_flight", ", 1000");
  constexpr int kN = 400;
  Publish(kN);
  std::vector<std::string> args = {"--allow-private-networks", "--concurrency", "16", "--batch-size", "8"};
  auto a = Start(args);
  auto b = Start(args);
  EXPECT_TRUE(Eventually([&] { return Delivered() == kN; }, 60s)) << "delivered=" << Delivered();
  a->Signal(SIGTERM);
  b->Signal(SIGTERM);
  EXPECT_EQ(a->Wait(15s), 0);
  EXPECT_EQ(b->Wait(15s), 0);
  std::map<std::string, int> per_id;
  for (const auto& r : rx.requests()) ++per_id[r.headers.at("webhook-id")];
  EXPECT_EQ(per_id.size(), size_t(kN));
  for (const auto& [id, n] : per_id) EXPECT_EQ(n, 1) << id;
  EXPECT_EQ(db_->Count("SELECT count(*) FROM webhooks.deliveries"), kN);
  // Both took part.
  EXPECT_EQ(db_->Count("SELECT count(DISTINCT worker_id) FROM webhooks.deliveries"), 2);
}

TEST_F(Integration, KilledWorkersMessagesAreDeliveredByAnotherAfterLeaseExpiry) {
  Receiver rx;
  HoldRequests(rx);
  Subscribe(rx.url());
  constexpr int kN = 5;
  Publish(kN);
  auto a = Start({"--allow-private-networks", "--lease", "2s", "--worker-id", "victim"});
  ASSERT_TRUE(rx.WaitFor(kN, 15s)) << "victim sent " << rx.count();
  a->Signal(SIGKILL);
  EXPECT_EQ(a->Wait(5s), 128 + SIGKILL);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM webhooks.messages WHERE lease_owner = 'victim'"), kN);
  rx.Unhold();
  auto b = Start({"--allow-private-networks", "--lease", "2s", "--worker-id", "survivor"});
  EXPECT_TRUE(Eventually([&] { return Delivered() == kN; }, 30s)) << "delivered=" << Delivered();
  EXPECT_EQ(db_->Count("SELECT count(*) FROM webhooks.deliveries WHERE worker_id = 'survivor' AND outcome = "
                       "'delivered'"),
            kN);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM webhooks.messages"), 0);
  b->Signal(SIGTERM);
  EXPECT_EQ(b->Wait(15s), 0);
}

TEST_F(Integration, SigtermMidBatchLosesNothing) {
  Receiver rx([](int, const Received&) {
    std::this_thread::sleep_for(300ms);
    return 200;
  });
  Subscribe(rx.url(), ", max_in_flight", ", 1000");
  constexpr int kN = 40;
  Publish(kN);
  auto w =
      Start({"--allow-private-networks", "--concurrency", "8", "--batch-size", "8", "--grace-period", "10s"});
  ASSERT_TRUE(rx.WaitFor(1, 15s));
  w->Signal(SIGTERM);
  EXPECT_EQ(w->Wait(15s), 0);
  size_t answered = rx.count();
  EXPECT_LT(answered, size_t(kN)) << "the test wants SIGTERM to land mid-run";
  // Every request the receiver answered is on record; nothing is left leased.
  EXPECT_EQ(db_->Count("SELECT count(*) FROM webhooks.deliveries"), (long long)answered);
  EXPECT_EQ(Delivered(), (long long)answered);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM webhooks.messages WHERE lease_owner IS NOT NULL"), 0);
  EXPECT_EQ(Pending(), kN - (long long)answered);
  // And the rest flows on the next run.
  ASSERT_EQ(RunOnce(kLocal), 0);
  EXPECT_EQ(Delivered(), kN);
  std::set<std::string> ids;
  for (const auto& r : rx.requests()) ids.insert(r.headers.at("webhook-id"));
  EXPECT_EQ(ids.size(), size_t(kN));
}

// The three requests reached the receiver, so each has its row (no response,
// retried on the schedule); the messages stay pending with no lease.
TEST_F(Integration, SigtermAfterGraceRecordsWhatIsStillInFlight) {
  Receiver rx;
  HoldRequests(rx);
  Subscribe(rx.url());
  Publish(3);
  auto w = Start({"--allow-private-networks", "--grace-period", "300ms"});
  ASSERT_TRUE(rx.WaitFor(3, 15s));
  w->Signal(SIGTERM);
  EXPECT_EQ(w->Wait(10s), 0);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM webhooks.deliveries WHERE outcome = 'retrying' "
                       "AND status_code IS NULL AND error LIKE 'aborted: the worker stopped%'"),
            3);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM webhooks.deliveries"), 3);
  EXPECT_EQ(
      db_->Count("SELECT count(*) FROM webhooks.messages WHERE lease_owner IS NULL AND state = 'pending'"),
      3);
  rx.Unhold();
}

TEST_F(Integration, SecondSignalExitsAtOnce) {
  Receiver rx;
  HoldRequests(rx);
  Subscribe(rx.url());
  Publish(1);
  auto w = Start({"--allow-private-networks", "--grace-period", "1h"});
  ASSERT_TRUE(rx.WaitFor(1, 15s));
  w->Signal(SIGTERM);
  std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(w->running()) << "first signal drains";
  w->Signal(SIGTERM);
  auto rc = w->Wait(3s);
  ASSERT_TRUE(rc.has_value()) << "second signal did not exit at once";
  EXPECT_NE(*rc, 0);
  rx.Unhold();
}

TEST_F(Integration, DatabaseLossIsSurvivedAndResultsRecordedAfterReconnect) {
  Receiver rx;
  HoldRequests(rx);
  Subscribe(rx.url());
  Publish(3);
  auto w = Start({"--allow-private-networks", "--worker-id", "phoenix"});
  ASSERT_TRUE(rx.WaitFor(3, 15s));
  // Cut all four of the worker's connections (work, LISTEN, claimer,
  // recorder) while its requests are in flight.
  auto connections = [&] {
    return db_->Count(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE application_name LIKE 'webhooks-worker (%)' AND datname = current_database()");
  };
  ASSERT_TRUE(Eventually([&] { return connections() == 4; }, 10s)) << "connections=" << connections();
  EXPECT_EQ(db_->Count("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                       "WHERE application_name LIKE 'webhooks-worker (%)' AND datname = current_database()"),
            4);
  std::this_thread::sleep_for(200ms);
  rx.Unhold();  // results arrive while the worker may still be reconnecting
  EXPECT_TRUE(Eventually([&] { return Delivered() == 3; }, 20s)) << "delivered=" << Delivered();
  EXPECT_EQ(db_->Count("SELECT count(*) FROM webhooks.deliveries WHERE worker_id = 'phoenix'"), 3);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM webhooks.messages"), 0);
  EXPECT_EQ(rx.count(), 3u);
  // And it still delivers new work afterwards (LISTEN is back).
  Publish(1);
  EXPECT_TRUE(Eventually([&] { return Delivered() == 4; }, 10s)) << "delivered=" << Delivered();
  w->Signal(SIGTERM);
  EXPECT_EQ(w->Wait(15s), 0);
  std::string log = w->log();
  EXPECT_GE(Occurrences(log, "event=db_connected conn=loop"), 2u) << "expected the loop to reconnect";
  EXPECT_GE(Occurrences(log, "event=db_connected conn=recorder"), 2u) << "expected the recorder to reconnect";
  EXPECT_GE(Occurrences(log, "event=db_connected conn=claimer"), 2u) << "expected the claimer to reconnect";
  EXPECT_NE(log.find("event=db_lost"), std::string::npos);
}

TEST_F(Integration, BlockedRecordDoesNotStopClaimingAndItsConnectionLossLosesNothing) {
  // Recording has its own connection: while webhooks.record waits on a lock,
  // the loop still claims and sends. Then only the recorder's connection is
  // cut mid-record: its results are kept and recorded after it reconnects.
  Receiver rx;
  Subscribe(rx.url());
  auto w = Start({"--allow-private-networks", "--worker-id", "phoenix"});
  auto recorder_connected = [&] {
    return w->log().find("event=db_connected conn=recorder") != std::string::npos;
  };
  ASSERT_TRUE(Eventually(recorder_connected, 10s));
  // record inserts attempt rows; claim never touches webhooks.deliveries.
  pqxx::connection locker(db_->conninfo());
  pqxx::work lock(locker);
  lock.exec0("LOCK TABLE webhooks.deliveries IN EXCLUSIVE MODE");
  auto blocked_records = [&] {
    return db_->Count(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND application_name = 'webhooks-worker (record)' AND state = 'active' "
        "AND wait_event_type = 'Lock' AND query LIKE '%webhooks.record%'");
  };
  Publish(3);
  ASSERT_TRUE(rx.WaitFor(3, 15s));
  ASSERT_TRUE(Eventually([&] { return blocked_records() == 1; }, 10s)) << "record is not waiting on the lock";
  Publish(3);
  EXPECT_TRUE(rx.WaitFor(6, 10s)) << "no claim while a record was blocked: sent " << rx.count();
  EXPECT_EQ(Delivered(), 0);
  EXPECT_EQ(db_->Count("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND application_name = 'webhooks-worker (record)' "
                       "AND state = 'active' AND query LIKE '%webhooks.record%'"),
            1);
  lock.abort();
  EXPECT_TRUE(Eventually([&] { return Delivered() == 6; }, 20s)) << "delivered=" << Delivered();
  Publish(2);
  EXPECT_TRUE(Eventually([&] { return Delivered() == 8; }, 10s)) << "delivered=" << Delivered();
  EXPECT_EQ(db_->Count("SELECT count(*) FROM webhooks.deliveries WHERE worker_id = 'phoenix'"), 8);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM webhooks.messages"), 0);
  EXPECT_EQ(rx.count(), 8u);
  w->Signal(SIGTERM);
  EXPECT_EQ(w->Wait(15s), 0);
  std::string log = w->log();
  EXPECT_EQ(Occurrences(log, "event=db_connected conn=loop"), 1u) << "the loop's connection was not touched";
  EXPECT_EQ(Occurrences(log, "event=db_connected conn=recorder"), 2u);
  EXPECT_NE(log.find("event=db_lost op=record conn=recorder"), std::string::npos);
  EXPECT_EQ(log.find("event=results_dropped"), std::string::npos);
}

TEST_F(Integration, LoopbackRefusedWithoutAllowPrivateNetworks) {
  Receiver rx;
  Subscribe(rx.url(), ", retry_schedule", ", '{1h}'");
  Publish(1);
  ASSERT_EQ(RunOnce({}), 0);
  EXPECT_EQ(rx.count(), 0u);
  auto rows = db_->Rows("SELECT coalesce(status_code::text, 'null'), error FROM webhooks.deliveries");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], "null");
  EXPECT_NE(rows[0][1].find("SSRF"), std::string::npos) << rows[0][1];
  EXPECT_NE(rows[0][1].find("127.0.0.1 is a loopback address"), std::string::npos) << rows[0][1];
}

// ---- 0.2.0: every request on record (issue 9) ------------------------------

// The contract between the daemon's result encoding (db.cc ResultsJson, via
// Database::Record, exactly what the recorder calls) and webhooks.record.
TEST_F(Integration, ContractTheDaemonsResultEncodingIsWhatRecordLogs) {
  Receiver rx;
  Subscribe(rx.url(), ", retry_schedule", ", '{1h}'");
  Publish(3);
  webhooks::Database db(db_->conninfo(), "contract", /*listen=*/false);
  db.Connect();
  auto claimed = db.Claim(10, std::chrono::minutes(1));
  ASSERT_EQ(claimed.size(), 3u);
  for (const auto& m : claimed) {
    EXPECT_EQ(m.lease_token, claimed[0].lease_token) << "one token per claim";
    EXPECT_EQ(m.subscription_name, "test");
  }
  std::vector<webhooks::AttemptResult> results(3);
  for (size_t i = 0; i < 3; ++i) {
    results[i].lease_token = claimed[i].lease_token;
    results[i].message_id = claimed[i].message_id;
    results[i].duration_ms = 7;
  }
  results[0].status_code = 200;
  results[0].response = "ok";
  results[1].status_code = 503;
  results[1].error = "HTTP 503";
  results[1].retry_after_s = 30;
  results[2].error = "timeout after 10000 ms";
  EXPECT_EQ(db.Record(results), 3);
  auto rows = db_->Rows(
      "SELECT d.outcome, coalesce(d.status_code::text, 'null'), d.attempt, d.worker_id, d.duration_ms, "
      "       d.event_id = m.event_id OR m.event_id IS NULL "
      "FROM webhooks.deliveries d LEFT JOIN webhooks.messages m ON m.event_id = d.event_id "
      "ORDER BY d.status_code NULLS LAST");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0][0], "delivered");
  EXPECT_EQ(rows[0][1], "200");
  EXPECT_EQ(rows[1][0], "retrying");
  EXPECT_EQ(rows[1][1], "503");
  EXPECT_EQ(rows[2][0], "retrying");
  EXPECT_EQ(rows[2][1], "null");
  for (const auto& r : rows) {
    EXPECT_EQ(r[2], "1");  // the attempt comes from the lease, not from the worker
    EXPECT_EQ(r[3], "contract");
    EXPECT_EQ(r[4], "7");
  }
  // A commit in doubt is simply sent again: nothing is logged twice.
  EXPECT_EQ(db.Record(results), 0);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM webhooks.deliveries"), 3);
  // Results under a lease this worker id was never handed are not logged.
  webhooks::Database other(db_->conninfo(), "forger", /*listen=*/false);
  other.Connect();
  EXPECT_EQ(other.Record(results), 0);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM webhooks.deliveries"), 3);
}

TEST_F(Integration, RequestInFlightWhenItsMessageIsDiscardedIsStillLogged) {
  Receiver rx;
  HoldRequests(rx);
  Subscribe(rx.url());
  Publish(1);
  auto w = Start(kLocal);
  ASSERT_TRUE(rx.WaitFor(1, 15s));
  EXPECT_EQ(db_->Count("SELECT webhooks.discard_pending('test')"), 1);
  rx.Unhold();
  EXPECT_TRUE(Eventually([&] { return db_->Count("SELECT count(*) FROM webhooks.deliveries") == 1; }, 15s));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM webhooks.deliveries"), 1) << "exactly one row per request";
  EXPECT_EQ(db_->Count("SELECT count(*) FROM webhooks.deliveries WHERE status_code = 200"), 1);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM webhooks.messages"), 0);
  EXPECT_EQ(rx.count(), 1u);
  w->Signal(SIGTERM);
  EXPECT_EQ(w->Wait(15s), 0);
}

TEST_F(Integration, LeaseLostMidRequestAndDeliveredByAnotherWorkerBothRequestsAreLogged) {
  Receiver rx;
  HoldRequests(rx);
  Subscribe(rx.url());
  Publish(1);
  // --concurrency 1: its one slot stays busy, so it does not take the message back itself.
  auto a = Start({"--allow-private-networks", "--worker-id", "slow", "--concurrency", "1"});
  ASSERT_TRUE(rx.WaitFor(1, 15s));
  // The lease runs out while the request waits (internal columns, docs/internals.md).
  db_->Exec(
      "UPDATE webhooks.messages SET lease_expires_at = now() - interval '1 second', "
      "next_attempt_at = now() - interval '1 second'");
  auto b = Start({"--allow-private-networks", "--worker-id", "fast"});
  ASSERT_TRUE(rx.WaitFor(2, 15s)) << "the second worker took the expired lease";
  rx.Unhold();
  EXPECT_TRUE(Eventually([&] { return db_->Count("SELECT count(*) FROM webhooks.deliveries") == 2; }, 15s))
      << db_->Count("SELECT count(*) FROM webhooks.deliveries");
  std::this_thread::sleep_for(300ms);
  // Two requests, two rows, one per worker; the message is gone.
  EXPECT_EQ(rx.count(), 2u);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM webhooks.deliveries"), 2);
  EXPECT_EQ(db_->Count("SELECT count(DISTINCT worker_id) FROM webhooks.deliveries"), 2);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM webhooks.messages"), 0);
  a->Signal(SIGTERM);
  b->Signal(SIGTERM);
  EXPECT_EQ(a->Wait(15s), 0);
  EXPECT_EQ(b->Wait(15s), 0);
}

TEST_F(Integration, RecordInDoubtIsSentAgainAndLoggedOnce) {
  // The first record commits, then the worker is told the connection broke
  // during the commit (test fault): it must send the same results again,
  // and the database must log them once.
  Receiver rx;
  Subscribe(rx.url());
  Publish(3);
  setenv("WEBHOOKS_TEST_FAULTS", "record_in_doubt", 1);
  auto w = Start({"--allow-private-networks", "--batch-size", "3"});
  unsetenv("WEBHOOKS_TEST_FAULTS");
  ASSERT_TRUE(rx.WaitFor(3, 15s));
  EXPECT_TRUE(Eventually([&] { return Delivered() == 3; }, 15s)) << "delivered=" << Delivered();
  EXPECT_TRUE(Eventually([&] { return w->log().find("event=recorded") != std::string::npos; }, 10s));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM webhooks.deliveries"), 3);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM webhooks.messages"), 0);
  EXPECT_EQ(rx.count(), 3u);
  w->Signal(SIGTERM);
  EXPECT_EQ(w->Wait(15s), 0);
  std::string log = w->log();
  EXPECT_NE(log.find("event=record_retry kind=in_doubt"), std::string::npos);
  EXPECT_EQ(log.find("results_dropped"), std::string::npos);
}

// ---- one bad receiver hurts no one (issue 9) -------------------------------

TEST_F(Integration, HangingReceiverHoldsOnlyItsShareWhileAnotherSubscriptionFlows) {
  Receiver hang;
  HoldRequests(hang);
  Receiver healthy;
  // Both match every event; max_in_flight above --concurrency, as by default.
  db_->Exec(
      "INSERT INTO webhooks.subscriptions (name, url, event_types, timeout, max_in_flight) VALUES "
      "('hang', '" +
      hang.url() +
      "', '{order.created}', '30s', 64), "
      "('healthy', '" +
      healthy.url() + "', '{order.created}', '10s', 64)");
  constexpr int kN = 60;
  Publish(kN);
  auto w = Start({"--allow-private-networks", "--concurrency", "8", "--batch-size", "4"});
  EXPECT_TRUE(Eventually(
      [&] {
        return db_->Count(
                   "SELECT count(*) FROM webhooks.deliveries d JOIN webhooks.subscriptions s "
                   "ON s.id = d.subscription_id WHERE s.name = 'healthy' AND d.outcome = 'delivered'") == kN;
      },
      30s))
      << "healthy got " << healthy.count() << " while the hanging one holds " << hang.in_handler();
  // The hanging receiver never got more than its share of the 8 slots (7 while alone, 4 next to another).
  EXPECT_LE(hang.count(), 7u);
  EXPECT_GE(hang.count(), 1u);
  hang.Unhold();
  w->Signal(SIGTERM);
  EXPECT_EQ(w->Wait(15s), 0);
}

// ---- wake-ups (COMMON.md worker_waiting; issue 8 "NOTIFY in a loop") -------

TEST_F(Integration, NotifyFloodWithNothingDueDoesNotMakeTheWorkerClaimContinuously) {
  Receiver rx;
  Subscribe(rx.url());
  auto w = Start(kLocal);
  auto claims = [&] { return Occurrences(w->log(), "event=claim "); };
  ASSERT_TRUE(Eventually([&] { return claims() >= 2; }, 10s)) << "the worker found nothing to do";
  std::this_thread::sleep_for(100ms);  // past its re-polls
  size_t before = claims();
  pqxx::connection flooder(db_->conninfo());
  pqxx::nontransaction tx(flooder);
  auto until = std::chrono::steady_clock::now() + 3s;
  int notifies = 0;
  while (std::chrono::steady_clock::now() < until) {
    tx.exec("NOTIFY webhooks");
    ++notifies;
  }
  std::this_thread::sleep_for(100ms);
  size_t during = claims() - before;
  EXPECT_GT(notifies, 1000);
  // Coalesced: a gap doubling up to 250 ms after each empty wake-up, plus
  // the fallback poll: a few dozen claims in 3 s, not one per NOTIFY.
  EXPECT_LE(during, 40u) << notifies << " NOTIFYs";
  EXPECT_GE(during, 3u) << "NOTIFYs still wake it";
  // And a real event is still picked up promptly afterwards.
  Publish(1);
  EXPECT_TRUE(rx.WaitFor(1, 5s));
  w->Signal(SIGTERM);
  EXPECT_EQ(w->Wait(15s), 0);
}

TEST_F(Integration, IdleWorkerWakesForANewEventWithinMilliseconds) {
  Receiver rx;
  Subscribe(rx.url());
  auto w = Start({"--allow-private-networks", "--poll-interval", "10s"});
  ASSERT_TRUE(Eventually(
      [&] { return w->log().find("event=worker_waiting waiting=true") != std::string::npos; }, 10s));
  std::this_thread::sleep_for(200ms);
  auto t0 = std::chrono::steady_clock::now();
  Publish(1);
  ASSERT_TRUE(rx.WaitFor(1, 5s)) << "not woken (the fallback poll is 10 s)";
  EXPECT_LT(rx.requests()[0].at - t0, 2s);
  w->Signal(SIGTERM);
  EXPECT_EQ(w->Wait(15s), 0);
}

// ---- memory (issue 8) ------------------------------------------------------

TEST_F(Integration, ByteBudgetBoundsTheBodiesHeldInFlight) {
  Receiver rx;
  HoldRequests(rx);
  Subscribe(rx.url());
  constexpr int kN = 20;
  db_->Exec(
      "SELECT webhooks.publish('order.created', jsonb_build_object('pad', repeat('x', 100000), 'n', i)) "
      "FROM generate_series(1, " +
      std::to_string(kN) + ") AS i");
  auto w = Start({"--allow-private-networks", "--batch-size", "2", "--max-body-bytes-in-flight", "250000"});
  ASSERT_TRUE(rx.WaitFor(1, 15s));
  std::this_thread::sleep_for(1500ms);
  // ~100 kB each: 2 claimed blind, then 1 more that the budget still fits; then no claim.
  EXPECT_LE(rx.count(), 3u);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM webhooks.messages WHERE lease_owner IS NOT NULL"),
            (long long)rx.count());
  rx.Unhold();
  EXPECT_TRUE(Eventually([&] { return Delivered() == kN; }, 30s)) << "delivered=" << Delivered();
  w->Signal(SIGTERM);
  EXPECT_EQ(w->Wait(15s), 0);
}

// ---- errors that cannot heal, logs for people (issue 11, contract §9) ------

TEST_F(Integration, ConfigErrorsAreReportedOnceAndExit78) {
  // The role logs in as the harness does (pg_virtualenv: TCP with the password in
  // $PGPASSWORD; a local cluster: trust), so the permission check is what fails.
  const char* pw = std::getenv("PGPASSWORD");
  std::string password = pw ? pw : "";
  std::string quoted;
  for (char ch : password) quoted += ch == '\'' ? std::string("''") : std::string(1, ch);
  db_->Exec(
      "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'webhooks_test_nogrant') THEN "
      "CREATE ROLE webhooks_test_nogrant LOGIN; END IF; END $$");
  if (!password.empty()) db_->Exec("ALTER ROLE webhooks_test_nogrant PASSWORD '" + quoted + "'");
  // A missing role reads "does not exist" under trust, "password authentication failed" under passwords.
  std::string no_role = password.empty() ? "does not exist" : "password authentication failed";
  struct Case {
    std::string conninfo, expect;
  } cases[] = {
      {db_->conninfo() + " user=webhooks_test_nosuchrole", no_role},
      {"dbname=webhooks_test_nosuchdb", "does not exist"},
      {db_->conninfo() + " user=webhooks_test_nogrant", "SQLSTATE 42501"},
  };
  for (const auto& c : cases) {
    WorkerProcess w(c.conninfo, {"--allow-private-networks", "--log-level", "info"});
    auto rc = w.Wait(20s);
    std::string log = w.log();
    ASSERT_TRUE(rc.has_value()) << "still retrying: " << c.conninfo << "\n" << log;
    EXPECT_EQ(*rc, 78) << c.conninfo << "\n" << log;
    EXPECT_EQ(Occurrences(log, "event=config_error"), 1u) << log;
    EXPECT_NE(log.find(c.expect), std::string::npos) << log;
    EXPECT_EQ(log.find("(SQLSTATE )"), std::string::npos) << log;
    EXPECT_EQ(log.find("db_connect_failed"), std::string::npos) << "not retried in silence\n" << log;
  }
}

TEST_F(Integration, LogsNameSubscriptionsAndShowDeliveriesAtInfoOnRequest) {
  Receiver rx([](int nth, const Received&) { return nth == 0 ? 500 : 200; });
  Subscribe(rx.url(), ", retry_schedule", ", '{100ms}'");
  Publish(1);
  auto quiet = Start({"--allow-private-networks", "--log-level", "info", "--once"});
  ASSERT_EQ(quiet->Wait(30s), 0);
  EXPECT_NE(quiet->log().find("event=attempt outcome=http_retry subscription=test subscription_id="),
            std::string::npos)
      << quiet->log();
  std::this_thread::sleep_for(200ms);
  auto loud = Start({"--allow-private-networks", "--log-level", "info", "--log-deliveries", "--once"});
  ASSERT_EQ(loud->Wait(30s), 0);
  EXPECT_NE(loud->log().find("level=info event=attempt outcome=delivered subscription=test subscription_id="),
            std::string::npos)
      << loud->log();
  EXPECT_EQ(quiet->log().find("outcome=delivered"), std::string::npos) << "not at info without the flag";
}

TEST_F(Integration, WithoutWorkerWaitingTheWorkerStillDelivers) {
  // An extension older than the worker (no webhooks.worker_waiting): warn once, poll, deliver.
  db_->Exec(
      "DO $$ BEGIN IF to_regprocedure('webhooks.worker_waiting(text, boolean)') IS NOT NULL THEN "
      "ALTER EXTENSION pg_webhooks DROP FUNCTION webhooks.worker_waiting(text, boolean); "
      "DROP FUNCTION webhooks.worker_waiting(text, boolean); END IF; END $$");
  Receiver rx;
  Subscribe(rx.url());
  auto w = Start({"--allow-private-networks", "--poll-interval", "100ms"});
  Publish(2);
  EXPECT_TRUE(Eventually([&] { return Delivered() == 2; }, 15s)) << "delivered=" << Delivered();
  w->Signal(SIGTERM);
  EXPECT_EQ(w->Wait(15s), 0);
  EXPECT_EQ(Occurrences(w->log(), "event=worker_waiting_unavailable"), 1u);
}

}  // namespace
}  // namespace webhooks::test

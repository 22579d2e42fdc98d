#include "metrics.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "db.h"
#include "logging.h"

namespace webhooks {
namespace {

TEST(Metrics, RendersPrometheusText) {
  Metrics m;
  m.ObserveAttempt("delivered", 0.003);
  m.ObserveAttempt("delivered", 0.2);
  m.ObserveAttempt("timeout", 12);
  m.AddClaimed(3);
  m.SetInFlight(2);
  m.AddReconnect();
  std::string text = m.Render();
  EXPECT_NE(text.find("webhooks_worker_deliveries_total{outcome=\"delivered\"} 2"), std::string::npos);
  EXPECT_NE(text.find("webhooks_worker_deliveries_total{outcome=\"timeout\"} 1"), std::string::npos);
  EXPECT_NE(text.find("webhooks_worker_attempt_duration_seconds_bucket{le=\"0.005\"} 1"), std::string::npos);
  EXPECT_NE(text.find("webhooks_worker_attempt_duration_seconds_bucket{le=\"0.25\"} 2"), std::string::npos);
  EXPECT_NE(text.find("webhooks_worker_attempt_duration_seconds_bucket{le=\"+Inf\"} 3"), std::string::npos);
  EXPECT_NE(text.find("webhooks_worker_attempt_duration_seconds_count 3"), std::string::npos);
  EXPECT_NE(text.find("webhooks_worker_in_flight 2"), std::string::npos);
  EXPECT_NE(text.find("webhooks_worker_claimed_total 3"), std::string::npos);
  EXPECT_NE(text.find("webhooks_worker_db_reconnects_total 1"), std::string::npos);
  EXPECT_NE(text.find("webhooks_worker_queue_lag_seconds 0"), std::string::npos);
}

TEST(Metrics, ServedOverHttpWithHealth) {
  Metrics m;
  MetricsServer server(m, "127.0.0.1", 0);
  httplib::Client client("127.0.0.1", server.port());
  auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 503);  // no database yet
  m.SetDbUp(true);
  health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->body.find("webhooks_worker_db_up 1"), std::string::npos);
}

TEST(Logging, QuotesAndRedacts) {
  EXPECT_EQ(Q("plain"), "plain");
  EXPECT_EQ(Q("two words"), "\"two words\"");
  EXPECT_EQ(Q("a\"b\nc"), "\"a\\\"b\\nc\"");
  EXPECT_EQ(Q(""), "\"\"");
  EXPECT_EQ(RedactUrl("https://user:pw@example.com:8443/hook?token=abc"), "https://example.com:8443");
  EXPECT_EQ(RedactUrl("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
}

TEST(RecordJson, ShapeAndCleaning) {
  AttemptResult ok{1, 2, 200, 12, std::nullopt, std::string("ok\0k", 4), std::nullopt};
  AttemptResult bad{3, 1, std::nullopt, 5, std::string("timeout after 10 ms"), std::nullopt, 30};
  AttemptResult utf{4, 1, 500, 1, std::nullopt, std::string("\xe2\x82", 2), std::nullopt};
  auto j = nlohmann::json::parse(ResultsJson({ok, bad, utf}));
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[0]["message_id"], 1);
  EXPECT_EQ(j[0]["attempt"], 2);
  EXPECT_EQ(j[0]["status_code"], 200);
  EXPECT_EQ(j[0]["response"], "ok k");
  EXPECT_TRUE(j[0]["error"].is_null());
  EXPECT_TRUE(j[1]["status_code"].is_null());
  EXPECT_EQ(j[1]["error"], "timeout after 10 ms");
  EXPECT_EQ(j[1]["retry_after_s"], 30);
  EXPECT_TRUE(j[2]["response"].is_string());  // truncated UTF-8 replaced, not an exception
}

}  // namespace
}  // namespace webhooks

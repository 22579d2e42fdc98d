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

}  // namespace
}  // namespace webhooks

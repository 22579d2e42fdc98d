#include <gtest/gtest.h>

#include "http.h"
#include "signing.h"

namespace webhooks {
namespace {

const std::string kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const std::string kOld = "whsec_plJ3nmyCDGBKInavdOK15jsl";

std::string Get(const std::vector<Header>& h, const std::string& name) {
  for (const auto& x : h)
    if (x.name == name) return x.value;
  return "<missing>";
}

TEST(Headers, StandardWebhooksSet) {
  auto h = BuildHeaders("evt-1", {kSecret}, "{\"a\":1}", 1700000000, {});
  ASSERT_EQ(h.size(), 5u);
  EXPECT_EQ(Get(h, "content-type"), "application/json");
  EXPECT_EQ(Get(h, "webhook-id"), "evt-1");
  EXPECT_EQ(Get(h, "webhook-timestamp"), "1700000000");
  EXPECT_EQ(Get(h, "webhook-signature"), *Sign(kSecret, "evt-1", 1700000000, "{\"a\":1}"));
  EXPECT_EQ(Get(h, "user-agent"), std::string("pg_webhooks/") + WEBHOOKS_WORKER_VERSION);
}

TEST(Headers, OneSignaturePerSecretDuringRotation) {
  auto h = BuildHeaders("evt-1", {kSecret, kOld}, "{}", 5, {});
  EXPECT_EQ(Get(h, "webhook-signature"),
            *Sign(kSecret, "evt-1", 5, "{}") + " " + *Sign(kOld, "evt-1", 5, "{}"));
}

TEST(Headers, ExtraHeadersAddedButNeverOverride) {
  std::vector<std::string> dropped;
  auto h = BuildHeaders("evt-1", {kSecret}, "{}", 5,
                        {{"X-Tenant", "acme"},
                         {"Webhook-Signature", "v1,forged"},
                         {"CONTENT-TYPE", "text/plain"},
                         {"webhook-id", "other"},
                         {"Content-Length", "1"},
                         {"Host", "evil"},
                         {"User-Agent", "x"},
                         {"X-Bad", "a\r\nInjected: 1"},
                         {"bad name", "v"},
                         {"x-tenant", "dup"},
                         {"Authorization", "Bearer t"}},
                        &dropped);
  EXPECT_EQ(Get(h, "x-tenant"), "acme");
  EXPECT_EQ(Get(h, "authorization"), "Bearer t");
  EXPECT_EQ(Get(h, "content-type"), "application/json");
  EXPECT_EQ(Get(h, "webhook-id"), "evt-1");
  EXPECT_EQ(Get(h, "webhook-signature"), *Sign(kSecret, "evt-1", 5, "{}"));
  EXPECT_EQ(Get(h, "host"), "<missing>");
  EXPECT_EQ(Get(h, "content-length"), "<missing>");
  EXPECT_EQ(Get(h, "user-agent"), std::string("pg_webhooks/") + WEBHOOKS_WORKER_VERSION);
  EXPECT_EQ(h.size(), 7u);
  EXPECT_EQ(dropped.size(), 9u);
  int signatures = 0;
  for (const auto& x : h) signatures += x.name == "webhook-signature";
  EXPECT_EQ(signatures, 1);
}

}  // namespace
}  // namespace webhooks

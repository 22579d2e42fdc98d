// The worker's side of tests/data/delivery-rules.json, the one source of
// truth for the rules that SQL and C++ both implement (a pgTAP test checks
// the SQL side against the same file). Change a rule there first; this test
// then shows every C++ constant that has to follow.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "http.h"
#include "retry.h"

namespace webhooks {
namespace {

nlohmann::json Rules() {
  const char* env = std::getenv("WEBHOOKS_DELIVERY_RULES");
  std::string path = env != nullptr ? env : WEBHOOKS_DELIVERY_RULES;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  return nlohmann::json::parse(in);
}

// Whether `status` (nullopt = no response) is in a JSON class: a list of
// statuses, [lo, hi] ranges and null.
bool InClass(const nlohmann::json& cls, std::optional<int> status) {
  for (const auto& e : cls) {
    if (e.is_null() && !status) return true;
    if (!status) continue;
    if (e.is_number_integer() && e.get<int>() == *status) return true;
    if (e.is_array() && e.size() == 2 && *status >= e[0].get<int>() && *status <= e[1].get<int>())
      return true;
  }
  return false;
}

TEST(DeliveryRules, OutcomeClassesMatchLabelAttempt) {
  auto oc = Rules().at("outcome_classes");
  ASSERT_EQ(oc.at("fail"), "every other status");
  std::vector<std::optional<int>> statuses = {std::nullopt};
  for (int s = 100; s <= 599; ++s) statuses.push_back(s);
  for (auto s : statuses) {
    SCOPED_TRACE(s ? std::to_string(*s) : "no response");
    bool delivered = InClass(oc.at("delivered"), s);
    bool retry = InClass(oc.at("retry"), s);
    ASSERT_FALSE(delivered && retry) << "a status in two classes";
    std::vector<AttemptLabel> labels;
    if (s)
      labels = {LabelAttempt(s, false, false)};
    else  // no response: a network error, a timeout or an SSRF refusal
      labels = {LabelAttempt(s, false, false), LabelAttempt(s, true, false)};
    for (AttemptLabel l : labels) {
      EXPECT_EQ(l == AttemptLabel::kDelivered, delivered) << AttemptLabelName(l);
      EXPECT_EQ(IsRetryable(l), retry) << AttemptLabelName(l);
    }
    EXPECT_EQ(PausesSubscription(s), InClass(oc.at("pauses_subscription"), s));
  }
}

TEST(DeliveryRules, ReservedHeadersAreExactlyTheWorkersAndNeverSentFromExtras) {
  auto rules = Rules();
  std::set<std::string> json_names, cxx_names;
  for (const auto& n : rules.at("reserved_headers")) json_names.insert(n.get<std::string>());
  for (auto n : ReservedHeaders()) cxx_names.insert(std::string(n));
  EXPECT_EQ(cxx_names, json_names);
  for (const auto& name : json_names) {
    std::string upper = name;
    std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
    std::vector<std::string> dropped;
    auto h = BuildHeaders("evt", {}, "{}", 1, {{upper, "x-from-subscription"}}, &dropped);
    EXPECT_EQ(dropped, std::vector<std::string>{upper});
    for (const auto& x : h) EXPECT_NE(x.value, "x-from-subscription") << name;
  }
}

TEST(DeliveryRules, RetryAfterCap) {
  int64_t cap = Rules().at("retry_after_cap_seconds").get<int64_t>();
  EXPECT_EQ(kMaxRetryAfterSeconds, cap);
  EXPECT_EQ(ParseRetryAfter(std::to_string(cap + 1), 0), cap);
  EXPECT_EQ(ParseRetryAfter(std::to_string(cap), 0), cap);
  EXPECT_EQ(ParseRetryAfter(std::to_string(cap - 1), 0), cap - 1);
  EXPECT_EQ(ParseRetryAfter("Thu, 01 Jan 1970 00:00:00 GMT", -(cap + 3600)), cap);  // a date further away
}

TEST(DeliveryRules, ResponseCaptureAndTimeouts) {
  auto rules = Rules();
  EXPECT_EQ(kStoredResponseBytes, rules.at("response_capture_bytes").get<size_t>());
  EXPECT_EQ(kDefaultTimeoutMs, rules.at("timeout_default_ms").get<long>());
  EXPECT_EQ(HttpRequest{}.timeout_ms, rules.at("timeout_default_ms").get<long>());
  EXPECT_EQ(kMaxTimeoutMs, rules.at("timeout_max_ms").get<long>());
  EXPECT_GE(kMaxReadResponseBytes, kStoredResponseBytes);
}

}  // namespace
}  // namespace webhooks

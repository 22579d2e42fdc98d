// Dispatcher: claimed message -> request -> result, and what it keeps count of.
#include "dispatcher.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace webhooks {
namespace {

ClaimedMessage Msg(int64_t id, int64_t sub, std::string body = "{}") {
  ClaimedMessage m;
  m.lease_token = "11111111-2222-3333-4444-55555555555" + std::to_string(sub % 10);
  m.message_id = id;
  m.event_id = "00000000-0000-0000-0000-00000000000" + std::to_string(id % 10);
  m.subscription_id = sub;
  m.subscription_name = "sub-" + std::to_string(sub);
  m.attempt = 2;
  m.url = "https://user:pw@example.com:8443/hook?token=x";
  m.secrets = {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"};
  m.body = std::move(body);
  m.timeout_ms = 1234;
  return m;
}

TEST(Dispatcher, RequestCarriesTheMessageAndTheTableCountsIt) {
  Dispatcher d;
  auto req = d.Start(Msg(7, 1, std::string(100, 'x')), 1'700'000'000);
  EXPECT_EQ(req.url, "https://user:pw@example.com:8443/hook?token=x");
  EXPECT_EQ(req.body.size(), 100u);
  EXPECT_EQ(req.timeout_ms, 1234);
  bool signed_ = false;
  for (const auto& h : req.headers) signed_ |= h.name == "webhook-signature" && h.value.starts_with("v1,");
  EXPECT_TRUE(signed_);
  d.Start(Msg(8, 1), 1'700'000'000);
  d.Start(Msg(9, 2), 1'700'000'000);
  EXPECT_EQ(d.in_flight(), 3);
  EXPECT_EQ(d.body_bytes(), 104u);
  EXPECT_EQ(d.per_subscription(), (std::map<int64_t, int>{{1, 2}, {2, 1}}));
}

TEST(Dispatcher, ResultIsBoundToTheLeaseAndMessageOnly) {
  Dispatcher d;
  auto req = d.Start(Msg(7, 1, "abc"), 1'700'000'000);
  HttpResult r;
  r.id = req.id;
  r.status = 503;
  r.duration_ms = 42;
  r.error = "HTTP 503";
  r.response = "busy";
  r.retry_after = "120";
  auto f = d.Finish(r, 1'700'000'000);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->label, AttemptLabel::kHttpRetry);
  EXPECT_EQ(f->flight.subscription_name, "sub-1");
  EXPECT_EQ(f->flight.host, "https://example.com:8443");  // never credentials, path or query
  EXPECT_EQ(f->result.lease_token, "11111111-2222-3333-4444-555555555551");
  EXPECT_EQ(f->result.message_id, 7);
  EXPECT_EQ(f->result.status_code, 503);
  EXPECT_EQ(f->result.retry_after_s, 120);
  EXPECT_EQ(f->result.response, "busy");
  EXPECT_EQ(d.in_flight(), 0);
  EXPECT_EQ(d.body_bytes(), 0u);
  EXPECT_TRUE(d.per_subscription().empty());
  EXPECT_FALSE(d.Finish(r, 0)) << "a result is taken once";
  // Encoded for webhooks.record: no trusted ids beyond lease and message.
  auto json = ResultsJson({f->result});
  EXPECT_EQ(json,
            R"([{"duration_ms":42,"error":"HTTP 503","lease_token":"11111111-2222-3333-4444-555555555551",)"
            R"("message_id":7,"response":"busy","retry_after_s":120,"status_code":503}])");
}

TEST(Dispatcher, RetryAfterOnlyForRetryableOutcomes) {
  Dispatcher d;
  auto req = d.Start(Msg(1, 1), 1'700'000'000);
  HttpResult r;
  r.id = req.id;
  r.status = 404;
  r.retry_after = "60";
  auto f = d.Finish(r, 1'700'000'000);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->label, AttemptLabel::kHttpReject);
  EXPECT_FALSE(f->result.retry_after_s);
}

TEST(Dispatcher, QueuedMessagesGoOutOldestFirstAndCountAsHeld) {
  Dispatcher d;
  d.Queue(Msg(1, 1, "aa"));
  d.Queue(Msg(2, 2, "bbb"));
  EXPECT_EQ(d.queued(), 2);
  EXPECT_EQ(d.in_flight(), 0);
  EXPECT_EQ(d.body_bytes(), 5u);
  auto first = d.Next(0);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->body, "aa");
  EXPECT_EQ(d.queued(), 1);
  EXPECT_EQ(d.in_flight(), 1);
  EXPECT_EQ(d.body_bytes(), 5u);
  EXPECT_EQ(d.per_subscription(), (std::map<int64_t, int>{{1, 1}}));
  auto by_lease = d.Abandon({first->id});  // shutdown: the queued one is released too
  EXPECT_EQ(by_lease.size(), 2u);
  EXPECT_EQ(d.queued(), 0);
  EXPECT_EQ(d.body_bytes(), 0u);
  EXPECT_FALSE(d.Next(0));
}

TEST(Dispatcher, MessagesOfASubscriptionAtItsShareKeepTheirPlace) {
  Dispatcher d;
  d.Queue(Msg(1, 1));
  d.Queue(Msg(2, 2));
  d.Queue(Msg(3, 1));
  EXPECT_EQ(d.queued_per_subscription(), (std::map<int64_t, int>{{1, 2}, {2, 1}}));
  auto only2 = [](int64_t sub) { return sub == 2; };
  auto r = d.Next(0, nullptr, only2);
  ASSERT_TRUE(r);
  EXPECT_EQ(d.Find(r->id)->message_id, 2);
  EXPECT_FALSE(d.Next(0, nullptr, only2));
  auto next = d.Next(0);
  ASSERT_TRUE(next);
  EXPECT_EQ(d.Find(next->id)->message_id, 1) << "oldest first";
  EXPECT_EQ(d.queued_per_subscription(), (std::map<int64_t, int>{{1, 1}}));
}

TEST(Dispatcher, AbandonGroupsMessagesByLease) {
  Dispatcher d;
  auto a = d.Start(Msg(1, 1), 0);
  auto b = d.Start(Msg(2, 1), 0);
  auto c = d.Start(Msg(3, 2), 0);
  auto by_lease = d.Abandon({a.id, b.id, c.id, 999});
  ASSERT_EQ(by_lease.size(), 2u);
  EXPECT_EQ(by_lease["11111111-2222-3333-4444-555555555551"], (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(by_lease["11111111-2222-3333-4444-555555555552"], (std::vector<int64_t>{3}));
  EXPECT_EQ(d.in_flight(), 0);
}

// Moved from metrics_test.cc: the encoding webhooks.record takes.
TEST(ResultsJson, ShapeAndCleaning) {
  AttemptResult ok{"lease-a", 1, 200, 12, std::nullopt, std::string("ok\0k", 4), std::nullopt};
  AttemptResult bad{"lease-a", 3, std::nullopt, 5, std::string("timeout after 10 ms"), std::nullopt, 30};
  AttemptResult utf{"lease-b", 4, 500, 1, std::nullopt, std::string("\xe2\x82", 2), std::nullopt};
  auto j = nlohmann::json::parse(ResultsJson({ok, bad, utf}));
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[0]["lease_token"], "lease-a");
  EXPECT_EQ(j[0]["message_id"], 1);
  EXPECT_FALSE(j[0].contains("attempt")) << "the database knows the attempt from the lease";
  EXPECT_FALSE(j[0].contains("event_id"));
  EXPECT_FALSE(j[0].contains("subscription_id"));
  EXPECT_EQ(j[0]["status_code"], 200);
  EXPECT_EQ(j[0]["response"], "ok k");
  EXPECT_TRUE(j[0]["error"].is_null());
  EXPECT_TRUE(j[1]["status_code"].is_null());
  EXPECT_EQ(j[1]["error"], "timeout after 10 ms");
  EXPECT_EQ(j[1]["retry_after_s"], 30);
  EXPECT_TRUE(j[2]["response"].is_string());  // truncated UTF-8 replaced, not an exception
}

TEST(ResultsJson, NulBytesAndBadUtf8AreReplaced) {
  AttemptResult r;
  r.lease_token = "t";
  r.message_id = 1;
  r.error = std::string("a\0b", 3);
  r.response = "\xff\xfe";
  auto json = ResultsJson({r});
  EXPECT_EQ(json.find('\0'), std::string::npos);
  EXPECT_NE(json.find(R"("error":"a b")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("status_code":null)"), std::string::npos) << json;
}

}  // namespace
}  // namespace webhooks

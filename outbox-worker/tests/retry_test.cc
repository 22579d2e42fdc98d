#include "retry.h"

#include <gtest/gtest.h>

namespace webhooks {
namespace {

constexpr std::time_t k1994 = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT

TEST(RetryAfter, Seconds) {
  EXPECT_EQ(ParseRetryAfter("120", 0), 120);
  EXPECT_EQ(ParseRetryAfter(" 0 ", 0), 0);
  EXPECT_EQ(ParseRetryAfter("99999999999999999999", 0), kMaxRetryAfterSeconds);
  EXPECT_EQ(ParseRetryAfter("999999999", 0), kMaxRetryAfterSeconds);
}

TEST(RetryAfter, HttpDateForms) {
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), k1994);
  EXPECT_EQ(ParseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), k1994);
  EXPECT_EQ(ParseHttpDate("Sun Nov  6 08:49:37 1994"), k1994);
}

TEST(RetryAfter, DateRelativeToNow) {
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", k1994 - 30), 30);
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", k1994 + 30), 0);  // past
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 - 3600), 3600);
}

TEST(RetryAfter, Garbage) {
  for (const char* v : {"", "soon", "-5", "1.5", "Sun, 06 Nov 1994 08:49:37 CET",
                        "Sun, 32 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:00:00 GMT"}) {
    EXPECT_FALSE(ParseRetryAfter(v, 0).has_value()) << v;
  }
}

TEST(AttemptLabel, ByStatus) {
  EXPECT_EQ(LabelAttempt(200, false, false), AttemptLabel::kDelivered);
  EXPECT_EQ(LabelAttempt(204, false, false), AttemptLabel::kDelivered);
  EXPECT_EQ(LabelAttempt(500, false, false), AttemptLabel::kHttpRetry);
  EXPECT_EQ(LabelAttempt(503, false, false), AttemptLabel::kHttpRetry);
  EXPECT_EQ(LabelAttempt(408, false, false), AttemptLabel::kHttpRetry);
  EXPECT_EQ(LabelAttempt(429, false, false), AttemptLabel::kHttpRetry);
  EXPECT_EQ(LabelAttempt(404, false, false), AttemptLabel::kHttpReject);
  EXPECT_EQ(LabelAttempt(410, false, false), AttemptLabel::kHttpReject);
  EXPECT_EQ(LabelAttempt(301, false, false), AttemptLabel::kHttpReject);
}

TEST(AttemptLabel, WithoutResponse) {
  EXPECT_EQ(LabelAttempt(std::nullopt, true, false), AttemptLabel::kTimeout);
  EXPECT_EQ(LabelAttempt(std::nullopt, false, false), AttemptLabel::kNetwork);
  EXPECT_EQ(LabelAttempt(std::nullopt, false, true), AttemptLabel::kRefused);
  EXPECT_TRUE(IsRetryable(AttemptLabel::kTimeout));
  EXPECT_TRUE(IsRetryable(AttemptLabel::kHttpRetry));
  EXPECT_FALSE(IsRetryable(AttemptLabel::kHttpReject));
  EXPECT_EQ(AttemptLabelName(AttemptLabel::kNetwork), "network_error");
}

}  // namespace
}  // namespace webhooks

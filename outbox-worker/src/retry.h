// retry: pure policy helpers. The database classifies outcomes
// authoritatively (webhooks.record); the worker only parses Retry-After for
// it and labels attempts for metrics and logs.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace webhooks {

// Seconds to wait according to a Retry-After header value: delay-seconds
// ("120") or an HTTP-date (IMF-fixdate, RFC 850 or asctime form), relative
// to `now` (Unix seconds). Dates in the past give 0. nullopt when the value
// cannot be parsed. Results are capped at kMaxRetryAfterSeconds: one day,
// as in webhooks.record (tests/data/delivery-rules.json,
// retry_after_cap_seconds; rules_test.cc checks the two agree).
inline constexpr int64_t kMaxRetryAfterSeconds = 24 * 3600;
std::optional<int64_t> ParseRetryAfter(std::string_view value, std::time_t now);

// Parses an HTTP-date to Unix seconds; nullopt if it is not one.
std::optional<std::time_t> ParseHttpDate(std::string_view value);

// What happened to one attempt, as the worker sees it.
enum class AttemptLabel {
  kDelivered,   // 2xx
  kHttpRetry,   // 408, 429, 5xx: the database will reschedule if attempts remain
  kHttpReject,  // other 3xx/4xx (and 1xx): failed at once
  kTimeout,     // no response in time
  kNetwork,     // connection/TLS/protocol error
  kRefused,     // refused by the SSRF guard, no connection made
};

std::string_view AttemptLabelName(AttemptLabel label);  // "delivered", "http_retry", …

// status_code: the HTTP status, or nullopt when there was no response;
// timed_out / refused describe a missing response.
AttemptLabel LabelAttempt(std::optional<int> status_code, bool timed_out, bool refused);

// Whether the contract (§6) retries this attempt: network error, timeout,
// 408, 429, 5xx. Used to decide whether a Retry-After is worth passing on.
bool IsRetryable(AttemptLabel label);

// Whether this status pauses the subscription (410 Gone). The database acts
// on it; the worker only says so in its log.
bool PausesSubscription(std::optional<int> status_code);

}  // namespace webhooks

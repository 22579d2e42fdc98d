#include "retry.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <vector>

namespace webhooks {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::optional<int> Month(std::string_view m) {
  static constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (size_t i = 0; i < kMonths.size(); ++i)
    if (m == kMonths[i]) return int(i);
  return std::nullopt;
}

std::optional<int> Number(std::string_view s) {
  if (s.empty() || s.size() > 4) return std::nullopt;
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// "HH:MM:SS"
bool Clock(std::string_view s, int* h, int* m, int* sec) {
  if (s.size() != 8 || s[2] != ':' || s[5] != ':') return false;
  auto hh = Number(s.substr(0, 2)), mm = Number(s.substr(3, 2)), ss = Number(s.substr(6, 2));
  if (!hh || !mm || !ss || *hh > 23 || *mm > 59 || *ss > 60) return false;
  *h = *hh, *m = *mm, *sec = *ss;
  return true;
}

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  while (true) {
    while (!s.empty() && s.front() == sep) s.remove_prefix(1);
    if (s.empty()) break;
    auto pos = s.find(sep);
    parts.push_back(s.substr(0, pos));
    if (pos == std::string_view::npos) break;
    s.remove_prefix(pos);
  }
  return parts;
}

std::optional<std::time_t> Compose(int year, int month0, int day, int h, int m, int s) {
  if (day < 1 || day > 31 || year < 1970 || year > 9999) return std::nullopt;
  return static_cast<std::time_t>(DaysFromCivil(year, unsigned(month0 + 1), unsigned(day)) * 86400 +
                                  h * 3600 + m * 60 + s);
}

}  // namespace

std::optional<std::time_t> ParseHttpDate(std::string_view value) {
  auto parts = Split(Trim(value), ' ');
  int h = 0, mi = 0, s = 0;
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
  if (parts.size() == 6 && parts[0].size() == 4 && parts[0].back() == ',' && parts[5] == "GMT") {
    auto day = Number(parts[1]);
    auto mon = Month(parts[2]);
    auto year = Number(parts[3]);
    if (!day || !mon || !year || parts[3].size() != 4 || !Clock(parts[4], &h, &mi, &s)) return std::nullopt;
    return Compose(*year, *mon, *day, h, mi, s);
  }
  // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
  if (parts.size() == 4 && parts[0].back() == ',' && parts[3] == "GMT") {
    auto dmy = Split(parts[1], '-');
    if (dmy.size() != 3) return std::nullopt;
    auto day = Number(dmy[0]);
    auto mon = Month(dmy[1]);
    auto year = Number(dmy[2]);
    if (!day || !mon || !year || dmy[2].size() != 2 || !Clock(parts[2], &h, &mi, &s)) return std::nullopt;
    int y = *year < 70 ? 2000 + *year : 1900 + *year;
    return Compose(y, *mon, *day, h, mi, s);
  }
  // asctime: "Sun Nov  6 08:49:37 1994"
  if (parts.size() == 5 && parts[0].size() == 3) {
    auto mon = Month(parts[1]);
    auto day = Number(parts[2]);
    auto year = Number(parts[4]);
    if (!day || !mon || !year || parts[4].size() != 4 || !Clock(parts[3], &h, &mi, &s)) return std::nullopt;
    return Compose(*year, *mon, *day, h, mi, s);
  }
  return std::nullopt;
}

std::optional<int64_t> ParseRetryAfter(std::string_view value, std::time_t now) {
  value = Trim(value);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    if (value.size() > 12) return kMaxRetryAfterSeconds;
    int64_t v = 0;
    std::from_chars(value.data(), value.data() + value.size(), v);
    return std::min(v, kMaxRetryAfterSeconds);
  }
  auto when = ParseHttpDate(value);
  if (!when) return std::nullopt;
  int64_t delta = int64_t(*when) - int64_t(now);
  if (delta < 0) return 0;
  return std::min(delta, kMaxRetryAfterSeconds);
}

std::string_view AttemptLabelName(AttemptLabel label) {
  switch (label) {
    case AttemptLabel::kDelivered: return "delivered";
    case AttemptLabel::kHttpRetry: return "http_retry";
    case AttemptLabel::kHttpReject: return "http_reject";
    case AttemptLabel::kTimeout: return "timeout";
    case AttemptLabel::kNetwork: return "network_error";
    case AttemptLabel::kRefused: return "refused";
  }
  return "network_error";
}

AttemptLabel LabelAttempt(std::optional<int> status_code, bool timed_out, bool refused) {
  if (refused) return AttemptLabel::kRefused;
  if (!status_code) return timed_out ? AttemptLabel::kTimeout : AttemptLabel::kNetwork;
  int s = *status_code;
  if (s >= 200 && s <= 299) return AttemptLabel::kDelivered;
  if (s == 408 || s == 429 || (s >= 500 && s <= 599)) return AttemptLabel::kHttpRetry;
  return AttemptLabel::kHttpReject;
}

bool IsRetryable(AttemptLabel label) {
  return label == AttemptLabel::kHttpRetry || label == AttemptLabel::kTimeout ||
         label == AttemptLabel::kNetwork;
}

bool PausesSubscription(std::optional<int> status_code) {
  return status_code == 410;
}

}  // namespace webhooks

#include "logging.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace webhooks {

void SetupLogging(const std::string& level) {
  auto logger = spdlog::stderr_logger_mt("webhooks-worker");
  logger->set_pattern("ts=%Y-%m-%dT%H:%M:%S.%eZ level=%l %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

std::string Q(std::string_view value) {
  constexpr size_t kMax = 512;
  bool truncated = value.size() > kMax;
  if (truncated) value = value.substr(0, kMax);
  bool bare = !value.empty();
  for (char c : value) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
      bare = false;
      break;
    }
  }
  if (bare && !truncated) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\')
      out += '\\', out += c;
    else if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (static_cast<unsigned char>(c) < 0x20)
      out += ' ';
    else
      out += c;
  }
  if (truncated) out += "…";
  return out + "\"";
}

std::string RedactUrl(std::string_view url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return "<unparsable url>";
  std::string_view rest = url.substr(scheme_end + 3);
  auto end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) authority = authority.substr(at + 1);
  return std::string(url.substr(0, scheme_end + 3)) + std::string(authority);
}

}  // namespace webhooks

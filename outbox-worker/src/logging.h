// logging: spdlog set up for structured, one-line key=value logs on stderr
// (journald adds its own timestamp; the level is a field).
#pragma once

#include <string>
#include <string_view>

namespace webhooks {

// level: trace, debug, info, warn, error.
void SetupLogging(const std::string& level);

// A value for a key=value field: bare when safe, otherwise double-quoted
// with \" \\ \n escaped. Truncated to 512 bytes.
std::string Q(std::string_view value);

// scheme://host[:port] of a URL: never the path, query or credentials, which
// may carry tokens.
std::string RedactUrl(std::string_view url);

}  // namespace webhooks

// logging: spdlog set up for structured, one-line key=value logs on stderr
// (journald adds its own timestamp; the level is a field). Every line goes
// through Redact() on its way out, so a secret the worker knows of (the
// database password, the connection string) never reaches the log, whatever
// the code that logged it put in the line.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

namespace webhooks {

// level: trace, debug, info, warn, error. out: where lines go (tests);
// default stderr. May be called again (tests); the last call wins.
void SetupLogging(const std::string& level, std::ostream* out = nullptr);

// A value for a key=value field: bare when safe, otherwise double-quoted
// with \" \\ \n escaped. Truncated to 512 bytes.
std::string Q(std::string_view value);

// scheme://host[:port] of a URL: never the path, query or credentials, which
// may carry tokens.
std::string RedactUrl(std::string_view url);

// Secrets to keep out of every log line, error text and /healthz reason.
// Thread-safe. Strings shorter than kMinSecretLength are ignored (blanking
// every "ab" would ruin the log and hide nothing worth hiding).
inline constexpr size_t kMinSecretLength = 4;
void AddSecret(std::string_view secret);
void ForgetSecrets();  // tests

// text with every occurrence of every secret replaced by "<redacted>".
std::string Redact(std::string_view text);

// message with every double-quoted fragment longer than one character
// replaced by "<redacted>": for
// libpq's connection-string errors, which quote the piece of the string
// they did not understand (a password, or the whole URL).
std::string RedactQuoted(std::string_view message);

}  // namespace webhooks

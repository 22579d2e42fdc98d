#include "logging.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>
#include <vector>

namespace webhooks {
namespace {

std::mutex g_secrets_mu;
std::vector<std::string> g_secrets;  // longest first, so a secret inside another goes with it

constexpr std::string_view kRedacted = "<redacted>";

// Scrubs each message before handing it to the real sink.
class RedactingSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit RedactingSink(std::shared_ptr<spdlog::sinks::sink> inner) : inner_(std::move(inner)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string clean = Redact(std::string_view(msg.payload.data(), msg.payload.size()));
    spdlog::details::log_msg copy = msg;
    copy.payload = spdlog::string_view_t(clean.data(), clean.size());
    inner_->log(copy);
  }
  void flush_() override { inner_->flush(); }
  void set_pattern_(const std::string& pattern) override { inner_->set_pattern(pattern); }
  void set_formatter_(std::unique_ptr<spdlog::formatter> f) override { inner_->set_formatter(std::move(f)); }

 private:
  std::shared_ptr<spdlog::sinks::sink> inner_;
};

}  // namespace

void SetupLogging(const std::string& level, std::ostream* out) {
  std::shared_ptr<spdlog::sinks::sink> inner;
  if (out != nullptr)
    inner = std::make_shared<spdlog::sinks::ostream_sink_mt>(*out, true);
  else
    inner = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto sink = std::make_shared<RedactingSink>(std::move(inner));
  auto logger = std::make_shared<spdlog::logger>("webhooks-worker", std::move(sink));
  logger->set_pattern("ts=%Y-%m-%dT%H:%M:%S.%eZ level=%l %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

void AddSecret(std::string_view secret) {
  if (secret.size() < kMinSecretLength) return;
  // Also as Q() writes it: a secret with a quote or backslash in it appears escaped in a line.
  std::string escaped;
  for (char c : secret) {
    if (c == '"' || c == '\\') escaped += '\\';
    escaped += c;
  }
  std::lock_guard lock(g_secrets_mu);
  for (std::string_view s : {secret, std::string_view(escaped)})
    if (std::find(g_secrets.begin(), g_secrets.end(), s) == g_secrets.end()) g_secrets.emplace_back(s);
  std::stable_sort(g_secrets.begin(), g_secrets.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

void ForgetSecrets() {
  std::lock_guard lock(g_secrets_mu);
  g_secrets.clear();
}

std::string Redact(std::string_view text) {
  std::string out(text);
  std::lock_guard lock(g_secrets_mu);
  for (const auto& s : g_secrets) {
    for (size_t pos = out.find(s); pos != std::string::npos; pos = out.find(s, pos + kRedacted.size()))
      out.replace(pos, s.size(), kRedacted);
  }
  return out;
}

std::string RedactQuoted(std::string_view message) {
  std::string out;
  while (true) {
    auto open = message.find('"');
    if (open == std::string_view::npos) break;
    auto close = message.find('"', open + 1);
    if (close == std::string_view::npos) {  // unbalanced: drop the rest
      out.append(message.substr(0, open + 1)).append(kRedacted).append("\"");
      return out;
    }
    // One character ("]", "=") is syntax, never a secret; keep it for the reader.
    if (close == open + 2)
      out.append(message.substr(0, close + 1));
    else
      out.append(message.substr(0, open + 1)).append(kRedacted).append("\"");
    message.remove_prefix(close + 1);
  }
  out.append(message);
  return out;
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

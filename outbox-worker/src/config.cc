#include "config.h"

#include <unistd.h>

#include <cctype>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <map>
#include <sstream>

namespace webhooks {
namespace {

enum class Kind { kInt, kDuration, kString, kBool, kHostPort, kLogLevel };

struct Option {
  const char* flag;  // without the leading "--"
  const char* env;   // environment variable, or nullptr
  Kind kind;
  const char* def;     // default, as text ("" = none)
  long long min, max;  // bounds: ints as is, durations in ms
  const char* help;
  std::function<void(Config&, const std::string&)> set;  // value already validated
};

long long ToInt(const std::string& v) {
  return std::stoll(v);
}

// The table: one place to read every knob.
const std::vector<Option>& Options() {
  static const std::vector<Option> kOptions = {
      {"database-url", "DATABASE_URL", Kind::kString, "", 0, 0,
       "PostgreSQL connection string or URI; default: the libpq PG* variables. Keep the password out of "
       "it (PGPASSFILE, or PGPASSWORD in the environment file): command lines are visible to local users",
       [](Config& c, const std::string& v) { c.database_url = v; }},
      {"concurrency", "WEBHOOKS_CONCURRENCY", Kind::kInt, "64", 1, 10000,
       "HTTP requests in flight per worker (up to one batch more is held: queued or being recorded)",
       [](Config& c, const std::string& v) { c.concurrency = int(ToInt(v)); }},
      {"batch-size", "WEBHOOKS_BATCH_SIZE", Kind::kInt, "32", 1, 1000, "messages per claim",
       [](Config& c, const std::string& v) { c.batch_size = int(ToInt(v)); }},
      {"lease", "WEBHOOKS_LEASE", Kind::kDuration, "60s", 1'000, 24LL * 3600 * 1000,
       "how long a claim is held before other workers may take it; never less than the subscription's "
       "timeout plus a margin",
       [](Config& c, const std::string& v) { c.lease = *ParseDuration(v); }},
      {"worker-id", "WEBHOOKS_WORKER_ID", Kind::kString, "", 0, 0,
       "name in the attempt log; default host:pid", [](Config& c, const std::string& v) { c.worker_id = v; }},
      {"metrics-listen", "WEBHOOKS_METRICS_LISTEN", Kind::kHostPort, "", 0, 0,
       "address of Prometheus /metrics and /healthz; default: off",
       [](Config& c, const std::string& v) { c.metrics_listen = v; }},
      {"allow-private-networks", "WEBHOOKS_ALLOW_PRIVATE_NETWORKS", Kind::kBool, "false", 0, 0,
       "also deliver to loopback, private and link-local addresses: turns the SSRF guard off",
       [](Config& c, const std::string& v) { c.allow_private_networks = v == "true"; }},
      {"once", "WEBHOOKS_ONCE", Kind::kBool, "false", 0, 0, "deliver everything due now, then exit 0",
       [](Config& c, const std::string& v) { c.once = v == "true"; }},
      {"poll-interval", "WEBHOOKS_POLL_INTERVAL", Kind::kDuration, "1s", 10, 3600LL * 1000,
       "fallback poll when no NOTIFY arrives",
       [](Config& c, const std::string& v) { c.poll_interval = *ParseDuration(v); }},
      {"grace-period", "WEBHOOKS_GRACE_PERIOD", Kind::kDuration, "30s", 0, 3600LL * 1000,
       "on SIGTERM: time to finish in-flight requests; then they are aborted and recorded",
       [](Config& c, const std::string& v) { c.grace_period = *ParseDuration(v); }},
      {"record-interval", "WEBHOOKS_RECORD_INTERVAL", Kind::kDuration, "5ms", 1, 10'000,
       "record results at least this often",
       [](Config& c, const std::string& v) { c.record_interval = *ParseDuration(v); }},
      {"record-batch", "WEBHOOKS_RECORD_BATCH", Kind::kInt, "256", 1, 10000,
       "record results as soon as this many are waiting",
       [](Config& c, const std::string& v) { c.record_batch = int(ToInt(v)); }},
      {"reconnect-max-backoff", "WEBHOOKS_RECONNECT_MAX_BACKOFF", Kind::kDuration, "30s", 100, 3600LL * 1000,
       "cap of the exponential back-off between database reconnects",
       [](Config& c, const std::string& v) { c.reconnect_max_backoff = *ParseDuration(v); }},
      {"log-level", "WEBHOOKS_LOG_LEVEL", Kind::kLogLevel, "info", 0, 0, "trace, debug, info, warn, error",
       [](Config& c, const std::string& v) { c.log_level = v; }},
      {"log-deliveries", "WEBHOOKS_LOG_DELIVERIES", Kind::kBool, "false", 0, 0,
       "log every successful delivery at info level (failures always are)",
       [](Config& c, const std::string& v) { c.log_deliveries = v == "true"; }},
      {"max-body-bytes-in-flight", "WEBHOOKS_MAX_BODY_BYTES_IN_FLIGHT", Kind::kInt, "67108864", 1024,
       1LL << 40, "bytes of request bodies held on the wire (64 MiB); no claim while above it",
       [](Config& c, const std::string& v) { c.max_body_bytes_in_flight = ToInt(v); }},
  };
  return kOptions;
}

const Option* Find(const std::string& flag) {
  for (const auto& o : Options())
    if (flag == o.flag) return &o;
  return nullptr;
}

std::string Lower(std::string s) {
  for (auto& ch : s) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// Validates and normalises `value` for `o`; returns an error message or "".
std::string Check(const Option& o, std::string& value, const std::string& source) {
  auto bad = [&](const std::string& why) {
    return source + ": invalid value '" + value + "' for --" + o.flag + ": " + why;
  };
  switch (o.kind) {
    case Kind::kInt: {
      long long v = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (value.empty() || ec != std::errc() || p != value.data() + value.size())
        return bad("expected a whole number");
      if (v < o.min || v > o.max)
        return bad("must be between " + std::to_string(o.min) + " and " + std::to_string(o.max));
      return "";
    }
    case Kind::kDuration: {
      auto d = ParseDuration(value);
      if (!d) return bad("expected a duration such as 250ms, 30s, 5m, 1h");
      if (d->count() < o.min || d->count() > o.max)
        return bad("must be between " + FormatDuration(Millis(o.min)) + " and " +
                   FormatDuration(Millis(o.max)));
      return "";
    }
    case Kind::kBool: {
      std::string l = Lower(value);
      if (l == "1" || l == "true" || l == "yes" || l == "on")
        value = "true";
      else if (l == "0" || l == "false" || l == "no" || l == "off")
        value = "false";
      else
        return bad("expected true or false");
      return "";
    }
    case Kind::kHostPort:
      if (!value.empty() && !ParseHostPort(value)) return bad("expected HOST:PORT, e.g. 127.0.0.1:9187");
      return "";
    case Kind::kLogLevel: {
      std::string l = Lower(value);
      if (l != "trace" && l != "debug" && l != "info" && l != "warn" && l != "error")
        return bad("expected trace, debug, info, warn or error");
      value = l;
      return "";
    }
    case Kind::kString:
      if (std::string(o.flag) == "worker-id" && value.empty()) return bad("must not be empty");
      return "";
  }
  return "";
}

}  // namespace

std::optional<Millis> ParseDuration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  if (text == "0") return Millis(0);
  long long total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == start || i - start > 9) return std::nullopt;
    long long n = std::stoll(text.substr(start, i - start));
    size_t ustart = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string unit = text.substr(ustart, i - ustart);
    long long mult;
    if (unit == "ms")
      mult = 1;
    else if (unit == "s")
      mult = 1000;
    else if (unit == "m" || unit == "min")
      mult = 60'000;
    else if (unit == "h")
      mult = 3'600'000;
    else
      return std::nullopt;
    total += n * mult;
    if (total > 100LL * 24 * 3'600'000) return std::nullopt;  // more than 100 days: a mistake
  }
  return Millis(total);
}

std::string FormatDuration(Millis d) {
  long long ms = d.count();
  if (ms != 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::optional<std::pair<std::string, int>> ParseHostPort(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 >= text.size()) return std::nullopt;
  std::string host = text.substr(0, colon);
  std::string port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  else if (host.find(':') != std::string::npos)
    return std::nullopt;  // IPv6 needs brackets
  if (host.empty()) return std::nullopt;
  int p = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc() || ptr != port.data() + port.size() || p < 0 || p > 65535) return std::nullopt;
  return std::make_pair(host, p);
}

std::string DefaultWorkerId() {
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "unknown");
  return std::string(host) + ":" + std::to_string(getpid());
}

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

namespace {

// Appends `text` word-wrapped to kHelpWidth columns, continuation lines
// indented to kHelpColumn; `column` is where the cursor is now.
constexpr size_t kHelpColumn = 32, kHelpWidth = 79;
void Wrap(std::ostringstream& out, size_t column, const std::string& text) {
  std::istringstream words(text);
  std::string word;
  bool first = true;
  while (words >> word) {
    if (!first && column + 1 + word.size() > kHelpWidth) {
      out << '\n' << std::string(kHelpColumn, ' ');
      column = kHelpColumn;
    } else if (!first) {
      out << ' ';
      ++column;
    }
    out << word;
    column += word.size();
    first = false;
  }
  out << '\n';
}

}  // namespace

std::string HelpText() {
  std::ostringstream out;
  out << "Usage: webhooks-worker [OPTIONS]\n\n"
         "Delivers the webhooks queued by the pg_webhooks extension.\n\n"
         "Options (each also read from its environment variable; a flag wins):\n";
  for (const auto& o : Options()) {
    std::string left = std::string("  --") + o.flag;
    switch (o.kind) {
      case Kind::kInt: left += " N"; break;
      case Kind::kDuration: left += " DURATION"; break;
      case Kind::kHostPort: left += " HOST:PORT"; break;
      case Kind::kLogLevel: left += " LEVEL"; break;
      case Kind::kString: left += std::string(o.flag) == "database-url" ? " URL" : " ID"; break;
      case Kind::kBool: break;
    }
    out << left;
    // At least two spaces between the flag and its help; a long flag gets a line of its own.
    if (left.size() + 2 > kHelpColumn)
      out << '\n' << std::string(kHelpColumn, ' ');
    else
      out << std::string(kHelpColumn - left.size(), ' ');
    std::string help = o.help;
    if (o.def[0] != '\0' && o.kind != Kind::kBool) help += std::string(" (default ") + o.def + ")";
    if (o.kind == Kind::kBool) help += " (default off)";
    if (o.env) help += std::string(" [$") + o.env + "]";
    Wrap(out, kHelpColumn, help);
  }
  out << "  -h, --help                    this text\n"
         "  -V, --version                 print the version\n\n"
         "Durations read 250ms, 30s, 5m, 1h (or combined: 1h30m). Without\n"
         "--database-url or $DATABASE_URL the libpq variables (PGHOST, PGPORT,\n"
         "PGDATABASE, PGUSER, PGPASSFILE, ...) are used.\n";
  return out.str();
}

ParseResult ParseConfig(const std::vector<std::string>& args, const EnvLookup& env) {
  ParseResult r;
  std::map<std::string, std::string> from_flags;
  auto error = [&r](std::string msg) {
    r.action = ParseResult::Action::kError;
    r.message = std::move(msg) + " (see --help)";
    return r;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      r.action = ParseResult::Action::kHelp;
      r.message = HelpText();
      return r;
    }
    if (a == "--version" || a == "-V") {
      r.action = ParseResult::Action::kVersion;
      r.message = std::string("webhooks-worker ") + WEBHOOKS_WORKER_VERSION;
      return r;
    }
    if (!a.starts_with("--")) return error("unexpected argument '" + a + "'");
    std::string name = a.substr(2), value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
      has_value = true;
    }
    const Option* o = Find(name);
    if (o == nullptr) return error("unknown option '--" + name + "'");
    if (o->kind == Kind::kBool) {
      if (!has_value) value = "true";
    } else if (!has_value) {
      if (i + 1 >= args.size()) return error("option '--" + name + "' needs a value");
      value = args[++i];
    }
    if (from_flags.count(name)) return error("option '--" + name + "' given twice");
    from_flags[name] = value;
  }
  for (const auto& o : Options()) {
    std::string value;
    std::string source;
    if (auto it = from_flags.find(o.flag); it != from_flags.end()) {
      value = it->second;
      source = "option";
    } else if (auto v = o.env ? env(o.env) : std::nullopt; v && !v->empty()) {
      value = *v;
      source = std::string("environment variable ") + o.env;
    } else {
      value = o.def;
      source = "default";
    }
    if (source != "default" || value[0] != '\0') {
      if (std::string e = Check(o, value, source); !e.empty()) return error(e);
    }
    o.set(r.config, value);
  }
  if (r.config.worker_id.empty()) r.config.worker_id = DefaultWorkerId();
  return r;
}

ParseResult ParseConfig(int argc, const char* const* argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return ParseConfig(args, ProcessEnv());
}

}  // namespace webhooks

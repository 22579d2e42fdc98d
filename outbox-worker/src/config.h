// config: every knob of webhooks-worker in one table (flag, environment
// variable, default, bounds), parsed from argv and the environment.
// Precedence: flag > environment > default. The database: --database-url >
// $DATABASE_URL > the libpq PG* variables (an empty conninfo).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace webhooks {

using Millis = std::chrono::milliseconds;

struct Config {
  std::string database_url;  // "" = libpq defaults (PG* variables)
  int concurrency = 64;
  int batch_size = 32;
  Millis lease{60'000};
  std::string worker_id;       // default host:pid
  std::string metrics_listen;  // "" = no metrics endpoint
  bool allow_private_networks = false;
  bool once = false;
  Millis poll_interval{1'000};  // fallback poll
  Millis grace_period{30'000};  // shutdown: time to finish in-flight requests
  Millis record_interval{5};    // flush results at least this often
  int record_batch = 256;       // … or when this many are waiting
  Millis reconnect_max_backoff{30'000};
  std::string log_level = "info";
  bool log_deliveries = false;                      // successful deliveries at info level (else debug)
  long long max_body_bytes_in_flight = 64LL << 20;  // no claim while request bodies on the wire exceed it
};

// Parses "250ms", "30s", "5m", "1h", "1h30m" (and "1500us" rounded down to ms
// is refused: the unit is at least ms). nullopt on anything else.
std::optional<Millis> ParseDuration(const std::string& text);
std::string FormatDuration(Millis d);  // "250ms", "30s", "5m", "1h"

// Result of parsing the command line.
struct ParseResult {
  enum class Action { kRun, kHelp, kVersion, kError } action = Action::kRun;
  Config config;
  std::string message;  // help text, version line, or the error
};

// env: looks a variable up (nullopt when unset); default is getenv.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup ProcessEnv();

ParseResult ParseConfig(const std::vector<std::string>& args, const EnvLookup& env);
ParseResult ParseConfig(int argc, const char* const* argv);

// The --help text (generated from the table).
std::string HelpText();

// Default worker id: "<hostname>:<pid>".
std::string DefaultWorkerId();

// "host:port" → pair; nullopt when malformed (port 0..65535; [v6]:port).
std::optional<std::pair<std::string, int>> ParseHostPort(const std::string& text);

}  // namespace webhooks

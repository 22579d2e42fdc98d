// webhooks-worker: parses, wires, runs. Everything else lives in the library.
#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "config.h"
#include "conninfo.h"
#include "logging.h"
#include "metrics.h"
#include "worker.h"

namespace {

std::atomic<int> g_signals{0};
int g_pipe[2] = {-1, -1};

// Async-signal-safe: count, and wake the loop through the self-pipe.
void OnSignal(int) {
  g_signals.fetch_add(1);
  if (g_pipe[1] >= 0) {
    char c = 1;
    ssize_t ignored = write(g_pipe[1], &c, 1);
    (void)ignored;
  }
}

bool InstallSignals() {
  if (pipe2(g_pipe, O_NONBLOCK | O_CLOEXEC) != 0) return false;
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  if (sigaction(SIGTERM, &sa, nullptr) != 0 || sigaction(SIGINT, &sa, nullptr) != 0) return false;
  signal(SIGPIPE, SIG_IGN);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using webhooks::ParseResult;
  ParseResult parsed = webhooks::ParseConfig(argc, argv);
  switch (parsed.action) {
    case ParseResult::Action::kHelp:
    case ParseResult::Action::kVersion:
      if (!parsed.message.ends_with('\n')) parsed.message += '\n';
      std::fputs(parsed.message.c_str(), stdout);
      return 0;
    case ParseResult::Action::kError:
      std::fprintf(stderr, "webhooks-worker: %s\n", parsed.message.c_str());
      return 2;
    case ParseResult::Action::kRun: break;
  }
  const webhooks::Config& cfg = parsed.config;
  // Before anything can log: learn what in the connection string is secret,
  // so no log line, error or /healthz reason shows it, and take the password
  // out of /proc/<pid>/cmdline. A string libpq cannot parse never heals.
  webhooks::ConninfoCheck conninfo = webhooks::CheckConninfo(cfg.database_url);
  for (const auto& s : conninfo.secrets) webhooks::AddSecret(s);
  if (const char* pw = std::getenv("PGPASSWORD")) webhooks::AddSecret(pw);
  int hidden = webhooks::HideSecretsInArgv(argc, argv, conninfo.passwords);
  if (!conninfo.ok) {
    std::fprintf(
        stderr, "webhooks-worker: invalid database connection string (--database-url or $DATABASE_URL): %s\n",
        webhooks::Redact(conninfo.error).c_str());
    return 2;
  }
  webhooks::SetupLogging(cfg.log_level);
  if (hidden > 0)
    spdlog::warn("event=password_on_command_line note={}",
                 webhooks::Q("any local user can read a password given in --database-url until the worker "
                             "hides it; put it in PGPASSFILE or in the environment file instead"));
  if (!InstallSignals()) {
    spdlog::critical("event=exit reason={}", webhooks::Q("cannot install signal handlers"));
    return 1;
  }
  try {
    webhooks::Metrics metrics;
    std::unique_ptr<webhooks::MetricsServer> server;
    if (!cfg.metrics_listen.empty()) {
      auto hp = webhooks::ParseHostPort(cfg.metrics_listen);
      server = std::make_unique<webhooks::MetricsServer>(metrics, hp->first, hp->second);
      spdlog::info("event=metrics_listening address={}:{}", hp->first, server->port());
    }
    webhooks::Worker worker(cfg, metrics, webhooks::StopSignal{g_pipe[0], &g_signals});
    int rc = worker.Run();
    spdlog::shutdown();
    if (rc != 0) _exit(rc);  // second signal: do not wait for anything
    return rc;
  } catch (const std::exception& e) {
    // Logged (and so redacted) rather than left to std::terminate, which would print what() raw.
    spdlog::critical("event=exit reason={}", webhooks::Q(e.what()));
    spdlog::shutdown();
    return 1;
  }
}

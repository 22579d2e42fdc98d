// webhooks-worker: parses, wires, runs. Everything else lives in the library.
#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <memory>

#include "config.h"
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
    case ParseResult::Action::kVersion: std::fputs((parsed.message + "\n").c_str(), stdout); return 0;
    case ParseResult::Action::kError:
      std::fprintf(stderr, "webhooks-worker: %s\n", parsed.message.c_str());
      return 2;
    case ParseResult::Action::kRun: break;
  }
  const webhooks::Config& cfg = parsed.config;
  webhooks::SetupLogging(cfg.log_level);
  if (!InstallSignals()) {
    spdlog::critical("event=exit reason={}", webhooks::Q("cannot install signal handlers"));
    return 1;
  }
  webhooks::Metrics metrics;
  std::unique_ptr<webhooks::MetricsServer> server;
  if (!cfg.metrics_listen.empty()) {
    auto hp = webhooks::ParseHostPort(cfg.metrics_listen);
    try {
      server = std::make_unique<webhooks::MetricsServer>(metrics, hp->first, hp->second);
    } catch (const std::exception& e) {
      spdlog::critical("event=exit reason={}", webhooks::Q(e.what()));
      return 1;
    }
    spdlog::info("event=metrics_listening address={}:{}", hp->first, server->port());
  }
  webhooks::Worker worker(cfg, metrics, webhooks::StopSignal{g_pipe[0], &g_signals});
  int rc = worker.Run();
  spdlog::shutdown();
  if (rc != 0) _exit(rc);  // second signal: do not wait for anything
  return rc;
}

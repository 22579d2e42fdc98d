#include "metrics.h"

#include <httplib.h>

#include <sstream>
#include <stdexcept>
#include <thread>

#include "logging.h"

namespace webhooks {

Metrics::Metrics()
    : bucket_counts_(Buckets().size(), 0), started_(std::chrono::steady_clock::now()), heartbeat_(started_) {}

const std::vector<double>& Metrics::Buckets() {
  static const std::vector<double> kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  return kBuckets;
}

void Metrics::ObserveAttempt(const std::string& label, double seconds) {
  std::lock_guard lock(mu_);
  ++attempts_[label];
  ++latency_count_;
  latency_sum_ += seconds;
  for (size_t i = 0; i < Buckets().size(); ++i)
    if (seconds <= Buckets()[i]) ++bucket_counts_[i];
}

void Metrics::AddClaimed(long n) {
  std::lock_guard lock(mu_);
  claimed_ += n;
}
void Metrics::AddRecorded(long n) {
  std::lock_guard lock(mu_);
  recorded_ += n;
}
void Metrics::AddReleased(long n) {
  std::lock_guard lock(mu_);
  released_ += n;
}
void Metrics::AddReconnect() {
  std::lock_guard lock(mu_);
  ++reconnects_;
}
void Metrics::AddDbError(const std::string& kind) {
  std::lock_guard lock(mu_);
  ++db_errors_[kind];
}
void Metrics::SetInFlight(long n) {
  std::lock_guard lock(mu_);
  in_flight_ = n;
}
void Metrics::SetPendingResults(long n) {
  std::lock_guard lock(mu_);
  pending_results_ = n;
}
void Metrics::SetQueueLag(double s) {
  std::lock_guard lock(mu_);
  queue_lag_ = s;
}
void Metrics::SetDbUp(bool up) {
  std::lock_guard lock(mu_);
  db_up_ = up;
}
void Metrics::SetUnhealthy(const std::string& reason) {
  std::string clean = Redact(reason.empty() ? "unhealthy" : reason);
  std::lock_guard lock(mu_);
  unhealthy_ = std::move(clean);
}
void Metrics::ClearUnhealthy() {
  std::lock_guard lock(mu_);
  unhealthy_.clear();
}
void Metrics::Heartbeat() {
  std::lock_guard lock(mu_);
  heartbeat_ = std::chrono::steady_clock::now();
}

std::string Metrics::Render() const {
  std::string why = Unhealthy();
  std::lock_guard lock(mu_);
  std::ostringstream o;
  auto family = [&o](const char* name, const char* type, const char* help) {
    o << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
  };
  family("webhooks_worker_deliveries_total", "counter", "HTTP attempts by outcome as the worker saw it");
  for (const char* l : {"delivered", "http_retry", "http_reject", "timeout", "network_error", "refused"}) {
    auto it = attempts_.find(l);
    o << "webhooks_worker_deliveries_total{outcome=\"" << l << "\"} "
      << (it == attempts_.end() ? 0 : it->second) << '\n';
  }
  family("webhooks_worker_attempt_duration_seconds", "histogram", "HTTP attempt latency");
  for (size_t i = 0; i < Buckets().size(); ++i)
    o << "webhooks_worker_attempt_duration_seconds_bucket{le=\"" << Buckets()[i] << "\"} "
      << bucket_counts_[i] << '\n';
  o << "webhooks_worker_attempt_duration_seconds_bucket{le=\"+Inf\"} " << latency_count_ << '\n'
    << "webhooks_worker_attempt_duration_seconds_sum " << latency_sum_ << '\n'
    << "webhooks_worker_attempt_duration_seconds_count " << latency_count_ << '\n';
  family("webhooks_worker_in_flight", "gauge", "HTTP requests in flight");
  o << "webhooks_worker_in_flight " << in_flight_ << '\n';
  family("webhooks_worker_unrecorded_results", "gauge", "results waiting to be recorded");
  o << "webhooks_worker_unrecorded_results " << pending_results_ << '\n';
  family("webhooks_worker_claimed_total", "counter", "messages claimed");
  o << "webhooks_worker_claimed_total " << claimed_ << '\n';
  family("webhooks_worker_recorded_total", "counter", "results recorded");
  o << "webhooks_worker_recorded_total " << recorded_ << '\n';
  family("webhooks_worker_released_total", "counter", "leases given back unattempted");
  o << "webhooks_worker_released_total " << released_ << '\n';
  family("webhooks_worker_queue_lag_seconds", "gauge",
         "how long the oldest due message has been waiting (0 when none)");
  o << "webhooks_worker_queue_lag_seconds " << queue_lag_ << '\n';
  family("webhooks_worker_db_reconnects_total", "counter", "database reconnections");
  o << "webhooks_worker_db_reconnects_total " << reconnects_ << '\n';
  family("webhooks_worker_db_errors_total", "counter", "database errors by kind");
  for (const char* k : {"retryable", "permanent", "in_doubt", "config"}) {
    auto it = db_errors_.find(k);
    o << "webhooks_worker_db_errors_total{kind=\"" << k << "\"} " << (it == db_errors_.end() ? 0 : it->second)
      << '\n';
  }
  family("webhooks_worker_db_up", "gauge", "1 when the database connection works");
  o << "webhooks_worker_db_up " << (db_up_ ? 1 : 0) << '\n';
  family("webhooks_worker_healthy", "gauge", "1 when /healthz answers 200 (its body says why not)");
  o << "webhooks_worker_healthy " << (why.empty() ? 1 : 0) << '\n';
  return o.str();
}

std::string Metrics::Unhealthy() const {
  std::lock_guard lock(mu_);
  if (!unhealthy_.empty()) return unhealthy_;
  if (!db_up_) return "database unreachable";
  if (std::chrono::steady_clock::now() - heartbeat_ > std::chrono::seconds(30)) return "worker loop stalled";
  return "";
}

struct MetricsServer::Impl {
  httplib::Server server;
  std::thread thread;
  int port = 0;
};

MetricsServer::MetricsServer(Metrics& metrics, const std::string& host, int port)
    : impl_(std::make_unique<Impl>()) {
  impl_->server.Get("/metrics", [&metrics](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics.Render(), "text/plain; version=0.0.4");
  });
  impl_->server.Get("/healthz", [&metrics](const httplib::Request&, httplib::Response& res) {
    std::string why = metrics.Unhealthy();
    res.status = why.empty() ? 200 : 503;
    res.set_content(why.empty() ? "ok\n" : why + "\n", "text/plain");
  });
  if (port == 0) {
    impl_->port = impl_->server.bind_to_any_port(host);
  } else {
    impl_->port = impl_->server.bind_to_port(host, port) ? port : -1;
  }
  if (impl_->port < 0) throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(port));
  impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
}

MetricsServer::~MetricsServer() {
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

int MetricsServer::port() const {
  return impl_->port;
}

}  // namespace webhooks

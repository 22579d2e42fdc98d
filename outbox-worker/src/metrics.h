// metrics: counters, gauges and a latency histogram rendered in the
// Prometheus text format; served with /healthz by a small cpp-httplib
// server on --metrics-listen. Thread-safe: the worker loop writes, the
// server thread reads.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace webhooks {

class Metrics {
 public:
  Metrics();
  // One HTTP attempt finished: label from retry.h (AttemptLabelName).
  void ObserveAttempt(const std::string& label, double seconds);
  void AddClaimed(long n);
  void AddRecorded(long n);
  void AddReleased(long n);
  void AddReconnect();
  void AddDbError(const std::string& kind);  // retryable, permanent, in_doubt
  void SetInFlight(long n);
  void SetPendingResults(long n);
  void SetQueueLag(double seconds);
  void SetDbUp(bool up);
  void Heartbeat();  // the loop is alive
  // A condition that will not heal by itself (authentication failed, schema
  // or grants missing, …): /healthz answers 503 with this reason, before any
  // other, until ClearUnhealthy(). The reason is shown to whoever can reach
  // /healthz and in /metrics (webhooks_worker_healthy 0): say what is wrong
  // and what to do; known secrets are redacted from it (logging.h).
  void SetUnhealthy(const std::string& reason);
  void ClearUnhealthy();

  std::string Render() const;
  // Empty string when healthy, else why not (the SetUnhealthy reason first,
  // then "database unreachable", then "worker loop stalled").
  std::string Unhealthy() const;

  static const std::vector<double>& Buckets();

 private:
  mutable std::mutex mu_;
  std::map<std::string, long> attempts_;
  std::vector<long> bucket_counts_;
  long latency_count_ = 0;
  double latency_sum_ = 0;
  long claimed_ = 0, recorded_ = 0, released_ = 0, reconnects_ = 0;
  std::map<std::string, long> db_errors_;
  long in_flight_ = 0, pending_results_ = 0;
  double queue_lag_ = 0;
  bool db_up_ = false;
  std::string unhealthy_;  // SetUnhealthy's reason
  std::chrono::steady_clock::time_point started_, heartbeat_;
};

// Serves /metrics and /healthz on host:port in a thread of its own.
class MetricsServer {
 public:
  MetricsServer(Metrics& metrics, const std::string& host, int port);
  ~MetricsServer();  // stops and joins
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;
  int port() const;  // the bound port (useful with port 0)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace webhooks

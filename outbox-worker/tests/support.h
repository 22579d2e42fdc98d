// Integration-test support: a throwaway database cloned from the template
// named by WEBHOOKS_TEST_TEMPLATE_DB, a cpp-httplib receiver on 127.0.0.1,
// and the webhooks-worker binary run as a child process.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace webhooks::test {

// A database of its own for one test: CREATE DATABASE … TEMPLATE $WEBHOOKS_TEST_TEMPLATE_DB,
// dropped in the destructor. Connects through the libpq PG* variables.
class TestDatabase {
 public:
  // Throws std::runtime_error with a clear message when the template variable is missing.
  TestDatabase();
  ~TestDatabase();
  const std::string& name() const { return name_; }
  std::string conninfo() const { return "dbname=" + name_; }

  void Exec(const std::string& sql);
  // First column of the first row as text ("" for NULL); throws if no row.
  std::string Scalar(const std::string& sql);
  long long Count(const std::string& sql) { return std::stoll(Scalar(sql)); }
  std::vector<std::vector<std::string>> Rows(const std::string& sql);

 private:
  std::string name_;
};

// One request as the receiver saw it.
struct Received {
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::chrono::steady_clock::time_point at;
};

// A webhook receiver on 127.0.0.1:<random port>. The handler decides the
// response: (request index for this webhook-id, request) -> status.
class Receiver {
 public:
  using Handler = std::function<int(int nth_for_id, const Received&)>;
  explicit Receiver(Handler handler = nullptr);
  ~Receiver();
  std::string url() const;
  void SetHandler(Handler handler);
  // Makes handlers that call Hold() block until Unhold() (or the receiver stops).
  void Hold();
  void Unhold();
  bool held() const { return hold_.load(); }
  void SleepWhileHeld(std::chrono::milliseconds max);
  std::vector<Received> requests() const;
  size_t count() const;
  size_t in_handler() const { return in_handler_.load(); }
  // Waits until at least n requests arrived; false on timeout.
  bool WaitFor(size_t n, std::chrono::milliseconds timeout) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<bool> hold_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> in_handler_{0};
};

// Makes rx keep every request waiting (up to 20 s) until rx.Unhold(), then
// answer 200: requests stay in flight for as long as a test needs.
void HoldRequests(Receiver& rx);

// Verifies a Standard Webhooks signature header independently of the
// worker's signing code (OpenSSL HMAC + EVP base64): true if any v1
// signature matches.
bool VerifySignature(const std::string& secret, const Received& r);

// webhooks-worker as a child process; stderr goes to a log file that is
// printed when a test fails. It logs at debug level unless args say
// --log-level; it inherits the test's environment.
class WorkerProcess {
 public:
  WorkerProcess(const std::string& conninfo, std::vector<std::string> args);
  ~WorkerProcess();  // SIGKILL if still running
  pid_t pid() const { return pid_; }
  void Signal(int sig);
  // Exit status (or 128+signal); nullopt on timeout.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  bool running();
  std::string log() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string log_path_;
};

// Polls cond every 50 ms until true or timeout.
bool Eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout);

}  // namespace webhooks::test

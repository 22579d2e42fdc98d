#include "support.h"

#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <pqxx/pqxx>
#include <random>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace webhooks::test {

namespace {

std::string AdminConninfo() {
  return "dbname=postgres";
}

std::string UniqueName() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  return "webhooks_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++) + "_" +
         std::to_string(rd() % 100000);
}

}  // namespace

TestDatabase::TestDatabase() {
  const char* tmpl = std::getenv("WEBHOOKS_TEST_TEMPLATE_DB");
  if (tmpl == nullptr || *tmpl == '\0')
    throw std::runtime_error(
        "WEBHOOKS_TEST_TEMPLATE_DB is not set: integration tests need a database with "
        "`CREATE EXTENSION pg_webhooks CASCADE` installed, reachable through the PG* variables "
        "(run them with `make test`)");
  name_ = UniqueName();
  pqxx::connection admin(AdminConninfo());
  // A template cannot be copied while someone is connected to it: retry briefly.
  for (int i = 0;; ++i) {
    try {
      pqxx::nontransaction tx(admin);
      tx.exec("CREATE DATABASE " + tx.quote_name(name_) + " TEMPLATE " + tx.quote_name(tmpl));
      break;
    } catch (const pqxx::sql_error& e) {
      if (i >= 50 || std::string(e.what()).find("being accessed") == std::string::npos) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

TestDatabase::~TestDatabase() {
  try {
    pqxx::connection admin(AdminConninfo());
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_) + " WITH (FORCE)");
  } catch (const std::exception& e) {
    fprintf(stderr, "warning: could not drop %s: %s\n", name_.c_str(), e.what());
  }
}

void TestDatabase::Exec(const std::string& sql) {
  pqxx::connection c(conninfo());
  pqxx::nontransaction tx(c);
  tx.exec(sql);
}

std::string TestDatabase::Scalar(const std::string& sql) {
  pqxx::connection c(conninfo());
  pqxx::nontransaction tx(c);
  auto r = tx.exec(sql);
  if (r.empty()) throw std::runtime_error("no row from: " + sql);
  return r[0][0].is_null() ? "" : r[0][0].as<std::string>();
}

std::vector<std::vector<std::string>> TestDatabase::Rows(const std::string& sql) {
  pqxx::connection c(conninfo());
  pqxx::nontransaction tx(c);
  std::vector<std::vector<std::string>> out;
  for (const auto& row : tx.exec(sql)) {
    std::vector<std::string> cells;
    for (const auto& f : row) cells.push_back(f.is_null() ? "<null>" : f.as<std::string>());
    out.push_back(std::move(cells));
  }
  return out;
}

struct Receiver::Impl {
  httplib::Server server;
  std::thread thread;
  int port = 0;
  mutable std::mutex mu;
  mutable std::condition_variable cv;
  std::vector<Received> requests;
  std::map<std::string, int> per_id;
  Handler handler;
};

Receiver::Receiver(Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  impl_->server.new_task_queue = [] { return new httplib::ThreadPool(64); };
  impl_->server.Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
    ++in_handler_;
    Received r;
    for (const auto& [k, v] : req.headers) {
      std::string lower = k;
      for (auto& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
      r.headers[lower] = v;
    }
    r.body = req.body;
    r.at = std::chrono::steady_clock::now();
    int nth = 0;
    Handler h;
    {
      std::lock_guard lock(impl_->mu);
      nth = impl_->per_id[r.headers["webhook-id"]]++;
      impl_->requests.push_back(r);
      h = impl_->handler;
    }
    impl_->cv.notify_all();
    int status = h ? h(nth, r) : 200;
    res.status = status;
    res.set_content(status >= 200 && status < 300 ? "ok" : "nope", "text/plain");
    --in_handler_;
  });
  impl_->port = impl_->server.bind_to_any_port("127.0.0.1");
  if (impl_->port <= 0) throw std::runtime_error("receiver: cannot bind 127.0.0.1");
  impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
  while (!impl_->server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

Receiver::~Receiver() {
  stopping_ = true;
  hold_ = false;
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::string Receiver::url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->port) + "/hook";
}

void Receiver::SetHandler(Handler handler) {
  std::lock_guard lock(impl_->mu);
  impl_->handler = std::move(handler);
}

void Receiver::Hold() {
  hold_ = true;
}
void Receiver::Unhold() {
  hold_ = false;
}

void Receiver::SleepWhileHeld(std::chrono::milliseconds max) {
  auto until = std::chrono::steady_clock::now() + max;
  while (hold_ && !stopping_ && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

void HoldRequests(Receiver& rx) {
  rx.SetHandler([&rx](int, const Received&) {
    rx.SleepWhileHeld(std::chrono::seconds(20));
    return 200;
  });
  rx.Hold();
}

std::vector<Received> Receiver::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->requests;
}

size_t Receiver::count() const {
  std::lock_guard lock(impl_->mu);
  return impl_->requests.size();
}

bool Receiver::WaitFor(size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, [&] { return impl_->requests.size() >= n; });
}

bool VerifySignature(const std::string& secret, const Received& r) {
  auto get = [&r](const char* k) {
    auto it = r.headers.find(k);
    return it == r.headers.end() ? std::string() : it->second;
  };
  std::string id = get("webhook-id"), ts = get("webhook-timestamp"), sigs = get("webhook-signature");
  if (id.empty() || ts.empty() || sigs.empty()) return false;
  std::string b64 = secret.substr(secret.rfind('_') + 1);
  std::vector<unsigned char> key(b64.size());
  int len = EVP_DecodeBlock(key.data(), reinterpret_cast<const unsigned char*>(b64.data()), int(b64.size()));
  if (len < 0) return false;
  len -= int(std::count(b64.end() - std::min<size_t>(2, b64.size()), b64.end(), '='));
  std::string content = id + "." + ts + "." + r.body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key.data(), len, reinterpret_cast<const unsigned char*>(content.data()), content.size(),
       mac, &mac_len);
  std::vector<unsigned char> enc(4 * ((mac_len + 2) / 3) + 1);
  EVP_EncodeBlock(enc.data(), mac, int(mac_len));
  std::string expected = "v1," + std::string(reinterpret_cast<char*>(enc.data()));
  std::istringstream in(sigs);
  std::string one;
  while (in >> one)
    if (one == expected) return true;
  return false;
}

WorkerProcess::WorkerProcess(const std::string& conninfo, std::vector<std::string> args) {
  char tmpl[] = "/tmp/webhooks-worker-test-XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  close(fd);
  log_path_ = tmpl;
  std::vector<std::string> argv_s = {WEBHOOKS_WORKER_BINARY, "--database-url", conninfo};
  if (std::find(args.begin(), args.end(), "--log-level") == args.end()) {
    argv_s.push_back("--log-level");
    argv_s.push_back("debug");
  }
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 2, log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  int rc = posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error(std::string("cannot start ") + argv[0]);
}

WorkerProcess::~WorkerProcess() {
  if (running()) {
    kill(pid_, SIGKILL);
    Wait(std::chrono::seconds(5));
  }
  unlink(log_path_.c_str());
}

void WorkerProcess::Signal(int sig) {
  kill(pid_, sig);
}

std::optional<int> WorkerProcess::Wait(std::chrono::milliseconds timeout) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (!status_) {
    int st = 0;
    pid_t r = waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      break;
    }
    if (std::chrono::steady_clock::now() >= until) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return status_;
}

bool WorkerProcess::running() {
  return !Wait(std::chrono::milliseconds(0)).has_value();
}

std::string WorkerProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool Eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return cond();
}

}  // namespace webhooks::test

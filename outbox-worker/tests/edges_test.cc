// The worker's edges (0.2.0): the SSRF mark of a host with a refused and an
// allowed address, bounded memory on the HTTP side, header values with
// control bytes, secrets kept out of logs, errors and argv, /healthz turned
// red by a condition that will not heal, and the --help text. Network
// traffic goes to 127.0.0.1 and ::1 only.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include "address.h"
#include "config.h"
#include "conninfo.h"
#include "http.h"
#include "logging.h"
#include "metrics.h"
#include "retry.h"
#include "support.h"

namespace webhooks {
namespace {

using namespace std::chrono_literals;

// A cpp-httplib server on a loopback address and a port of its own.
class LocalServer {
 public:
  LocalServer(const std::string& host, httplib::Server::Handler handler) {
    server_.Post(".*", [this, handler](const httplib::Request& req, httplib::Response& res) {
      ++requests_;
      handler(req, res);
    });
    port_ = server_.bind_to_any_port(host);
    if (port_ <= 0) throw std::runtime_error("cannot bind " + host);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(5ms);
  }
  ~LocalServer() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  int requests() const { return requests_.load(); }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> requests_{0};
};

// A port on which nothing listens (bound, then closed).
int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

// Runs one request to completion.
HttpResult RunOne(HttpClient& client, HttpRequest req) {
  client.Submit(std::move(req));
  std::vector<WaitFd> none;
  auto until = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < until) {
    client.Run(50ms, none);
    auto results = client.TakeResults();
    if (!results.empty()) return results.front();
  }
  throw std::runtime_error("request did not finish");
}

// Test policy: refuses one address family, allows the other — and never
// anything that is not loopback, so these tests cannot reach out.
AddressPolicy RefuseFamily(int family) {
  return [family](const sockaddr* sa) -> std::optional<std::string> {
    if (sa->sa_family == family)
      return "refused by SSRF guard: " + AddressToString(sa) + " is refused by the test policy";
    if (ClassifyAddress(sa) != AddressClass::kLoopback) return "not loopback: never in a test";
    return std::nullopt;
  };
}

HttpRequest Post(const std::string& url, std::string body = "{}") {
  HttpRequest r;
  r.id = 7;
  r.url = url;
  r.body = std::move(body);
  r.timeout_ms = 5000;
  return r;
}

// ---- 1. SSRF mark -----------------------------------------------------------

// 0.1.0 kept the mark of the refused ::1 after 127.0.0.1 answered 200, so a
// delivered message was retried.
TEST(SsrfMark, AllowedAddressAnswered2xxIsDelivered) {
  LocalServer rx("127.0.0.1", [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
  std::string port = std::to_string(rx.port());
  HttpTestHooks hooks;
  hooks.address_policy = RefuseFamily(AF_INET6);
  hooks.resolve = {"mixed.test:" + port + ":[::1],127.0.0.1"};
  HttpClient client(HttpOptions{}, hooks);
  HttpResult r = RunOne(client, Post("http://mixed.test:" + port + "/hook"));
  EXPECT_FALSE(r.refused) << r.error;
  ASSERT_TRUE(r.status.has_value()) << r.error;
  EXPECT_EQ(*r.status, 204);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(LabelAttempt(r.status, r.timed_out, r.refused), AttemptLabel::kDelivered);
  EXPECT_EQ(rx.requests(), 1);
}

TEST(SsrfMark, SameTheOtherWayRound) {
  LocalServer rx("::1", [](const httplib::Request&, httplib::Response& res) { res.status = 200; });
  std::string port = std::to_string(rx.port());
  HttpTestHooks hooks;
  hooks.address_policy = RefuseFamily(AF_INET);
  hooks.resolve = {"mixed.test:" + port + ":127.0.0.1,[::1]"};
  HttpClient client(HttpOptions{}, hooks);
  HttpResult r = RunOne(client, Post("http://mixed.test:" + port + "/hook"));
  EXPECT_FALSE(r.refused) << r.error;
  EXPECT_EQ(r.status, 200) << r.error;
}

TEST(SsrfMark, EveryAddressRefusedMakesNoConnection) {
  LocalServer rx("127.0.0.1", [](const httplib::Request&, httplib::Response& res) { res.status = 200; });
  std::string port = std::to_string(rx.port());
  HttpTestHooks hooks;  // default policy: loopback is refused without --allow-private-networks
  hooks.resolve = {"mixed.test:" + port + ":[::1],127.0.0.1"};
  HttpClient client(HttpOptions{}, hooks);
  HttpResult r = RunOne(client, Post("http://mixed.test:" + port + "/hook"));
  EXPECT_TRUE(r.refused);
  EXPECT_FALSE(r.status.has_value());
  EXPECT_NE(r.error.find("refused by SSRF guard"), std::string::npos) << r.error;
  EXPECT_EQ(rx.requests(), 0);
}

TEST(SsrfMark, AllowedAddressDownIsANetworkErrorNotARefusal) {
  std::string port = std::to_string(ClosedPort());
  HttpTestHooks hooks;
  hooks.address_policy = RefuseFamily(AF_INET6);
  hooks.resolve = {"mixed.test:" + port + ":[::1],127.0.0.1"};
  HttpClient client(HttpOptions{}, hooks);
  HttpResult r = RunOne(client, Post("http://mixed.test:" + port + "/hook"));
  EXPECT_FALSE(r.refused);
  EXPECT_FALSE(r.status.has_value());
  EXPECT_EQ(LabelAttempt(r.status, r.timed_out, r.refused), AttemptLabel::kNetwork);
  EXPECT_NE(r.error.find("other addresses: refused by SSRF guard: ::1"), std::string::npos) << r.error;
}

// The rule itself, for the cases a loopback-only test cannot stage.
TEST(SsrfMark, DecideResult) {
  using End = TransferFacts::End;
  TransferFacts f;
  f.refusals = {"refused by SSRF guard: 10.0.0.1 is a private address"};
  f.end = End::kError;
  f.error = "Couldn't connect to server";
  HttpResult r = DecideResult(f, 1000);
  EXPECT_TRUE(r.refused);  // nothing allowed was tried
  EXPECT_EQ(r.error, f.refusals[0]);

  f.allowed_address_used = true;
  r = DecideResult(f, 1000);
  EXPECT_FALSE(r.refused);
  EXPECT_EQ(r.error, "Couldn't connect to server (other addresses: " + f.refusals[0] + ")");

  f.end = End::kTimeout;
  r = DecideResult(f, 1500);
  EXPECT_FALSE(r.refused);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.error.rfind("timeout after 1500 ms", 0), 0u);

  for (int status : {200, 299, 410, 503}) {
    f.end = End::kResponse;
    f.status = status;
    r = DecideResult(f, 1000);
    EXPECT_FALSE(r.refused);
    EXPECT_EQ(r.status, status);
    EXPECT_EQ(r.error, "");
  }

  TransferFacts clean;  // no refusal at all
  clean.end = End::kError;
  clean.error = "SSL connect error";
  r = DecideResult(clean, 1000);
  EXPECT_FALSE(r.refused);
  EXPECT_EQ(r.error, "SSL connect error");
}

// ---- 3. header values are never sent raw ------------------------------------

TEST(Headers, ControlBytesInValuesAreNeverSent) {
  std::vector<std::string> dropped;
  auto h = BuildHeaders("evt", {}, "{}", 1,
                        {{"X-Soh", std::string("a\x01"
                                               "b")},
                         {"X-Esc", "\x1b[31mred"},
                         {"X-Del", "a\x7f"},
                         {"X-Nul", std::string("a\0b", 3)},
                         {"X-Vt", "a\vb"},
                         {"X-Tab", "a\tb"},
                         {"X-Utf8", "caf\xc3\xa9"}},
                        &dropped);
  EXPECT_EQ(dropped, (std::vector<std::string>{"X-Soh", "X-Esc", "X-Del", "X-Nul", "X-Vt"}));
  ASSERT_EQ(h.size(), 7u);
  EXPECT_EQ(h[5].name, "x-tab");
  EXPECT_EQ(h[6].name, "x-utf8");
  for (const auto& x : h)
    for (unsigned char c : x.value) EXPECT_TRUE(c >= 0x20 ? c != 0x7f : c == '\t') << x.name;
}

// ---- 5. bounded memory ------------------------------------------------------

TEST(HttpMemory, LargeResponseIsCutAndCapped) {
  const std::string big(8 << 20, 'x');  // 8 MiB
  LocalServer rx("127.0.0.1", [&big](const httplib::Request&, httplib::Response& res) {
    res.status = 200;
    res.set_header("Retry-After", std::string(10000, '9'));
    res.set_content(big, "text/plain");
  });
  HttpOptions o;
  o.allow_private_networks = true;
  HttpClient client(o);
  HttpResult r = RunOne(client, Post("http://127.0.0.1:" + std::to_string(rx.port()) + "/"));
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.response.size(), kStoredResponseBytes);
  EXPECT_LE(r.response_bytes_read, kMaxReadResponseBytes + 64 * 1024);  // at most one more read
  ASSERT_TRUE(r.retry_after.has_value());
  EXPECT_LE(r.retry_after->size(), 128u);
}

TEST(HttpMemory, BodyBytesInFlightAreCounted) {
  std::atomic<bool> release{false};
  LocalServer rx("127.0.0.1", [&release](const httplib::Request&, httplib::Response& res) {
    for (int i = 0; i < 400 && !release; ++i) std::this_thread::sleep_for(5ms);
    res.status = 200;
  });
  HttpOptions o;
  o.allow_private_networks = true;
  HttpClient client(o);
  std::string url = "http://127.0.0.1:" + std::to_string(rx.port()) + "/";
  client.Submit(Post(url, std::string(1000, 'a')));
  client.Submit(Post(url, std::string(234, 'b')));
  EXPECT_EQ(client.BytesInFlight(), 1234u);
  release = true;
  std::vector<WaitFd> none;
  size_t done = 0;
  for (int i = 0; i < 400 && done < 2; ++i) {
    client.Run(50ms, none);
    done += client.TakeResults().size();
  }
  EXPECT_EQ(done, 2u);
  EXPECT_EQ(client.BytesInFlight(), 0u);
  client.Submit(Post(url, std::string(99, 'c')));
  EXPECT_EQ(client.BytesInFlight(), 99u);
  client.AbortAll();
  EXPECT_EQ(client.BytesInFlight(), 0u);
}

// ---- 2. secrets in logs, errors and argv ------------------------------------

class Secrets : public ::testing::Test {
 protected:
  void TearDown() override {
    ForgetSecrets();
    SetupLogging("info");
  }
};

TEST_F(Secrets, RedactReplacesEverySecretAndItsEscapedForm) {
  AddSecret("s3cretpw");
  AddSecret("pa\"ss");
  AddSecret("ab");  // too short to be scrubbed
  EXPECT_EQ(Redact("a s3cretpw b s3cretpw"), "a <redacted> b <redacted>");
  EXPECT_EQ(Redact("x=" + Q("pa\"ss word")), "x=\"<redacted> word\"");
  EXPECT_EQ(Redact("ab"), "ab");
  EXPECT_EQ(RedactQuoted("invalid percent-encoded token: \"s3%zz\""),
            "invalid percent-encoded token: \"<redacted>\"");
  EXPECT_EQ(RedactQuoted("a \"xy\" b \"y"), "a \"<redacted>\" b \"<redacted>\"");
  EXPECT_EQ(RedactQuoted("matching \"]\" in URI: \"pg://u:pw@[::1\""),
            "matching \"]\" in URI: \"<redacted>\"");
  EXPECT_EQ(RedactQuoted("no quotes"), "no quotes");
}

TEST_F(Secrets, EveryLogLineIsScrubbed) {
  std::ostringstream out;
  SetupLogging("debug", &out);
  const std::string url = "postgresql://app:s3cretpw@db.internal/app";
  for (const auto& s : CheckConninfo(url).secrets) AddSecret(s);
  spdlog::warn("event=db_connect_failed error={}", Q("connect: could not parse \"" + url + "\""));
  spdlog::error("event=x password={}", "s3cretpw");
  spdlog::default_logger()->flush();
  std::string log = out.str();
  EXPECT_EQ(log.find("s3cretpw"), std::string::npos) << log;
  EXPECT_NE(log.find("event=db_connect_failed"), std::string::npos) << log;
  EXPECT_NE(log.find("<redacted>"), std::string::npos) << log;
}

TEST_F(Secrets, MalformedConnectionStringsNeverEchoed) {
  for (std::string bad :
       {"postgres://u:s3cretpw@[::1/db", "postgres://u:s3cr%zzetpw@h/db", "postgresql://u:s3cretpw@h/db?foo",
        "host=h s3cretpw", "host=h password='s3cretpw", "postgresql://u:s3cretpw@h/db?password=s3cretpw&x"}) {
    SCOPED_TRACE(bad);
    ConninfoCheck c = CheckConninfo(bad);
    EXPECT_FALSE(c.ok);
    EXPECT_FALSE(c.error.empty());
    EXPECT_EQ(c.error.find("s3cr"), std::string::npos) << c.error;
    EXPECT_EQ(c.error.find("zz"), std::string::npos) << c.error;
  }
}

TEST_F(Secrets, PasswordsFound) {
  auto c = CheckConninfo("postgresql://app:pa%40ssword@db.internal:5432/app?sslmode=require");
  EXPECT_TRUE(c.ok) << c.error;
  EXPECT_NE(std::find(c.passwords.begin(), c.passwords.end(), "pa%40ssword"), c.passwords.end());
  EXPECT_NE(std::find(c.passwords.begin(), c.passwords.end(), "pa@ssword"), c.passwords.end());
  c = CheckConninfo("host=db user=app password='s3cret pw' dbname=app");
  EXPECT_TRUE(c.ok) << c.error;
  EXPECT_EQ(c.passwords, std::vector<std::string>{"s3cret pw"});
  c = CheckConninfo("dbname=app");
  EXPECT_TRUE(c.ok);
  EXPECT_TRUE(c.passwords.empty());
  c = CheckConninfo("");
  EXPECT_TRUE(c.ok);
  EXPECT_TRUE(c.secrets.empty());
}

TEST_F(Secrets, HiddenInArgv) {
  std::string a0 = "webhooks-worker", a1 = "--database-url", a2 = "postgresql://app:s3cretpw@db/app",
              a3 = "--database-url=postgresql://app:s3cretpw@db/app", a4 = "--once";
  char* argv[] = {a0.data(), a1.data(), a2.data(), a3.data(), a4.data(), nullptr};
  EXPECT_EQ(HideSecretsInArgv(5, argv, {"s3cretpw"}), 2);
  EXPECT_STREQ(argv[2], "postgresql://app:********@db/app");
  EXPECT_STREQ(argv[3], "--database-url=postgresql://app:********@db/app");
  EXPECT_STREQ(argv[4], "--once");
}

// The daemon itself: 0.1.0 logged libpq's echo of the URL, password
// included, and retried it forever.
TEST(WorkerSecrets, MalformedDatabaseUrlExitsWithoutEchoingIt) {
  test::WorkerProcess w("postgres://app:s3cretpw@[::1/app", {});
  auto rc = w.Wait(10s);
  ASSERT_TRUE(rc.has_value()) << "still running; log:\n" << w.log();
  EXPECT_EQ(*rc, 2) << w.log();
  EXPECT_NE(w.log().find("invalid database connection string"), std::string::npos) << w.log();
  EXPECT_EQ(w.log().find("s3cretpw"), std::string::npos) << w.log();
}

TEST(WorkerSecrets, PasswordNeitherLoggedNorLeftInCmdline) {
  std::string url =
      "postgresql://app:s3cretpw@127.0.0.1:" + std::to_string(ClosedPort()) + "/app?connect_timeout=2";
  test::WorkerProcess w(url, {});
  ASSERT_TRUE(test::Eventually([&] { return w.log().find("db_connect_failed") != std::string::npos; }, 10s))
      << w.log();
  std::ifstream f("/proc/" + std::to_string(w.pid()) + "/cmdline");
  std::string cmdline((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_NE(cmdline.find("--database-url"), std::string::npos);
  EXPECT_EQ(cmdline.find("s3cretpw"), std::string::npos);
  w.Signal(SIGTERM);
  w.Wait(10s);
  EXPECT_EQ(w.log().find("s3cretpw"), std::string::npos) << w.log();
  EXPECT_NE(w.log().find("event=password_on_command_line"), std::string::npos) << w.log();
}

// ---- 6. /healthz red for a condition that will not heal ---------------------

TEST(Health, SetUnhealthyTurnsHealthzRedWithTheReason) {
  Metrics m;
  MetricsServer server(m, "127.0.0.1", 0);
  httplib::Client client("127.0.0.1", server.port());
  m.SetDbUp(true);
  auto res = client.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);

  AddSecret("s3cretpw");
  m.SetUnhealthy("connect: password authentication failed for user \"app\" (s3cretpw?): fix the credentials");
  res = client.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_NE(res->body.find("password authentication failed"), std::string::npos) << res->body;
  EXPECT_EQ(res->body.find("s3cretpw"), std::string::npos) << res->body;
  EXPECT_NE(m.Render().find("webhooks_worker_healthy 0"), std::string::npos);
  m.SetDbUp(false);  // the configuration reason wins over "database unreachable"
  EXPECT_NE(m.Unhealthy().find("password authentication failed"), std::string::npos);

  m.SetDbUp(true);
  m.ClearUnhealthy();
  res = client.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(m.Render().find("webhooks_worker_healthy 1"), std::string::npos);
  ForgetSecrets();
}

// ---- 4. --help --------------------------------------------------------------

TEST(Help, EveryLineReadable) {
  std::string help = HelpText();
  EXPECT_EQ(help.find("DURATIONcap"), std::string::npos);
  std::istringstream lines(help);
  std::string line;
  while (std::getline(lines, line)) {
    EXPECT_LE(line.size(), 79u) << line;
    if (line.rfind("  --", 0) == 0) {  // "  --flag [VALUE]  help…": two spaces or a line break after the flag
      auto flag_end = line.find(' ', 4);
      if (flag_end == std::string::npos) continue;  // flag alone; help on the next line
      std::string rest = line.substr(flag_end);
      bool value_then_gap = rest.size() > 1 && rest[1] != ' ';
      if (value_then_gap)
        rest = rest.substr(rest.find(' ', 1) == std::string::npos ? rest.size() : rest.find(' ', 1));
      EXPECT_TRUE(rest.empty() || rest.rfind("  ", 0) == 0) << line;
    }
  }
  EXPECT_NE(help.find("--reconnect-max-backoff DURATION\n"), std::string::npos) << help;
  EXPECT_NE(help.find("PGPASSFILE"), std::string::npos);
  EXPECT_NE(help.find("-h, --help"), std::string::npos);
}

}  // namespace
}  // namespace webhooks

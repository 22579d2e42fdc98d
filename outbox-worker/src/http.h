// http: RAII over a libcurl multi handle, the only code that includes curl.
// Connections are kept in the multi handle's cache and reused across
// batches; HTTP/2 is negotiated where offered; each request has its own
// timeout; redirects are never followed; at most kStoredResponseBytes of a
// response are kept. The SSRF policy is applied to the address a connection
// is about to use (CURLOPT_OPENSOCKETFUNCTION): a refused request makes no
// connection and completes with refused = true.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace webhooks {

inline constexpr std::string_view kUserAgent = "pg_webhooks/" WEBHOOKS_WORKER_VERSION;
inline constexpr size_t kStoredResponseBytes = 1024;
// Read at most this much of a response body; beyond it the transfer is cut
// (the status code still counts).
inline constexpr size_t kMaxReadResponseBytes = 64 * 1024;

struct Header {
  std::string name;
  std::string value;
  bool operator==(const Header&) const = default;
};

// The request headers of one attempt (contract §6): content-type,
// webhook-id, webhook-timestamp, webhook-signature (one v1 signature per
// usable secret), user-agent, then the subscription's extra headers. Extra
// headers may not override those, nor framing headers (content-length,
// host, transfer-encoding, connection, expect); such headers and malformed
// ones (bad name, CR/LF in the value) are left out and their names added to
// *dropped.
std::vector<Header> BuildHeaders(std::string_view event_id, const std::vector<std::string>& secrets,
                                 std::string_view body, int64_t timestamp, const std::vector<Header>& extra,
                                 std::vector<std::string>* dropped = nullptr);

struct HttpRequest {
  uint64_t id = 0;  // caller's handle, echoed in the result
  std::string url;
  std::vector<Header> headers;
  std::string body;
  long timeout_ms = 10'000;
};

struct HttpResult {
  uint64_t id = 0;
  std::optional<int> status;  // nullopt: no HTTP response
  long duration_ms = 0;
  std::string error;  // empty when a response arrived
  bool timed_out = false;
  bool refused = false;                    // SSRF guard: no connection was made
  std::string response;                    // first kStoredResponseBytes of the body
  std::optional<std::string> retry_after;  // raw Retry-After header value
};

struct HttpOptions {
  bool allow_private_networks = false;
  long max_connections = 256;  // size of the connection cache
};

// A file descriptor to watch in Run() besides curl's sockets.
struct WaitFd {
  int fd = -1;
  bool readable = false;  // set by Run()
};

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Starts a request; its result appears in TakeResults() once done.
  void Submit(HttpRequest request);
  size_t InFlight() const;

  // Drives transfers and waits at most `timeout` for socket activity or
  // for one of `fds` to become readable (or Wakeup()).
  void Run(std::chrono::milliseconds timeout, std::vector<WaitFd>& fds);

  // Completed requests since the last call.
  std::vector<HttpResult> TakeResults();

  // Abandons every transfer still in flight; returns their ids.
  std::vector<uint64_t> AbortAll();

  // Interrupts a Run() from another thread.
  void Wakeup();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace webhooks

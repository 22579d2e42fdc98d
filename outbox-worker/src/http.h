// http: RAII over a libcurl multi handle, the only code that includes curl.
// Connections are kept in the multi handle's cache and reused across
// batches; HTTP/2 is negotiated where offered; each request has its own
// timeout; redirects are never followed; at most kStoredResponseBytes of a
// response are kept. The SSRF policy is applied to the address a connection
// is about to use (CURLOPT_OPENSOCKETFUNCTION): a request whose every
// address is refused makes no connection and completes with refused = true;
// a request that reached an allowed address is judged by what that address
// answered (DecideResult).
//
// Memory per request is bounded: the body is sent from the request itself
// (never copied), the response is read to at most kMaxReadResponseBytes and
// kept to kStoredResponseBytes, only Retry-After is kept of the response
// headers (128 bytes), errors are curl's fixed-size buffer.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct sockaddr;

namespace webhooks {

// The constants below are also in tests/data/delivery-rules.json, which the
// SQL side reads too; rules_test.cc checks that both agree.
inline constexpr std::string_view kUserAgent = "pg_webhooks/" WEBHOOKS_WORKER_VERSION;
inline constexpr size_t kStoredResponseBytes = 1024;  // response_capture_bytes
inline constexpr long kDefaultTimeoutMs = 10'000;     // timeout_default_ms
inline constexpr long kMaxTimeoutMs = 300'000;        // timeout_max_ms: longer requests are cut here
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
// Lower-case names an extra header may not have (reserved_headers).
const std::vector<std::string_view>& ReservedHeaders();

std::vector<Header> BuildHeaders(std::string_view event_id, const std::vector<std::string>& secrets,
                                 std::string_view body, int64_t timestamp, const std::vector<Header>& extra,
                                 std::vector<std::string>* dropped = nullptr);

struct HttpRequest {
  uint64_t id = 0;  // caller's handle, echoed in the result
  std::string url;
  std::vector<Header> headers;
  std::string body;
  long timeout_ms = kDefaultTimeoutMs;  // clamped to 1 .. kMaxTimeoutMs
};

struct HttpResult {
  uint64_t id = 0;
  std::optional<int> status;  // nullopt: no HTTP response
  long duration_ms = 0;
  std::string error;  // empty when a response arrived
  bool timed_out = false;
  bool refused = false;                    // SSRF guard: no connection was made
  std::string response;                    // first kStoredResponseBytes of the body
  size_t response_bytes_read = 0;          // body bytes read (at most about kMaxReadResponseBytes)
  std::optional<std::string> retry_after;  // raw Retry-After header value
};

// What happened during one finished transfer, as http.cc saw it.
struct TransferFacts {
  enum class End { kResponse, kTimeout, kError } end = End::kError;
  int status = 0;                     // kResponse
  std::string error;                  // kError: curl's message
  std::vector<std::string> refusals;  // why the SSRF guard refused an address, one per refusal
  bool allowed_address_used = false;  // a socket was opened to an address the guard allowed
};

// The result of a transfer (status, error, timed_out, refused; response
// fields are left to the caller). The SSRF mark stands only when the guard
// refused an address and no allowed address was used: a host with one
// refused and one allowed address is judged by what the allowed one
// answered (a 2xx there is delivered); its refusals are only mentioned in
// the error of a failed attempt.
HttpResult DecideResult(const TransferFacts& facts, long timeout_ms);

// The SSRF policy applied to each address: nullopt = allowed, else why not.
using AddressPolicy = std::function<std::optional<std::string>(const sockaddr*)>;

struct HttpOptions {
  bool allow_private_networks = false;
  long max_connections = 256;  // size of the connection cache
};

// For tests: stage a host with several loopback addresses and a policy that
// refuses some of them.
struct HttpTestHooks {
  AddressPolicy address_policy;      // replaces RefuseAddress(address, allow_private_networks)
  std::vector<std::string> resolve;  // curl --resolve entries ("host:port:addr[,addr]")
};

// A file descriptor to watch in Run() besides curl's sockets.
struct WaitFd {
  int fd = -1;
  bool readable = false;  // set by Run()
};

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options, HttpTestHooks hooks = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Starts a request; its result appears in TakeResults() once done.
  void Submit(HttpRequest request);
  size_t InFlight() const;
  // Request body bytes held by the transfers in flight (for a memory budget).
  size_t BytesInFlight() const;

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

#include "http.h"

#include <curl/curl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <list>
#include <mutex>
#include <stdexcept>

#include "address.h"
#include "signing.h"

namespace webhooks {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsToken(std::string_view name) {
  if (name.empty()) return false;
  for (unsigned char c : name) {
    if (std::isalnum(c)) continue;
    if (std::strchr("!#$%&'*+-.^_`|~", c) == nullptr || c == 0) return false;
  }
  return true;
}

// RFC 9110 field-value: visible characters, space, tab and obs-text; no
// control byte (CR, LF and NUL split or cut the request; the others reach
// receivers' parsers raw).
bool IsCleanValue(std::string_view v) {
  return std::none_of(v.begin(), v.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && u != '\t') || u == 0x7f;
  });
}

}  // namespace

const std::vector<std::string_view>& ReservedHeaders() {
  static const std::vector<std::string_view> kReserved = {"content-type",
                                                          "webhook-id",
                                                          "webhook-timestamp",
                                                          "webhook-signature",
                                                          "user-agent",
                                                          "content-length",
                                                          "host",
                                                          "transfer-encoding",
                                                          "connection",
                                                          "expect",
                                                          "te",
                                                          "upgrade",
                                                          "keep-alive",
                                                          "proxy-connection",
                                                          "trailer"};
  return kReserved;
}

std::vector<Header> BuildHeaders(std::string_view event_id, const std::vector<std::string>& secrets,
                                 std::string_view body, int64_t timestamp, const std::vector<Header>& extra,
                                 std::vector<std::string>* dropped) {
  std::vector<Header> h = {
      {"content-type", "application/json"},
      {"webhook-id", std::string(event_id)},
      {"webhook-timestamp", std::to_string(timestamp)},
      {"webhook-signature", SignatureHeader(secrets, event_id, timestamp, body)},
      {"user-agent", std::string(kUserAgent)},
  };
  for (const auto& e : extra) {
    std::string name = Lower(e.name);
    const auto& reserved_names = ReservedHeaders();
    bool reserved = std::find(reserved_names.begin(), reserved_names.end(), name) != reserved_names.end();
    bool duplicate = std::any_of(h.begin() + 5, h.end(), [&](const Header& x) { return x.name == name; });
    if (reserved || duplicate || !IsToken(name) || !IsCleanValue(e.value)) {
      if (dropped) dropped->push_back(e.name);
      continue;
    }
    h.push_back({name, e.value});
  }
  return h;
}

HttpResult DecideResult(const TransferFacts& facts, long timeout_ms) {
  HttpResult r;
  bool refused = !facts.refusals.empty();
  if (facts.end == TransferFacts::End::kResponse) {
    r.status = facts.status;  // an allowed address answered: its answer is the outcome
    return r;
  }
  if (refused && !facts.allowed_address_used) {
    r.refused = true;
    r.error = facts.refusals.front();
    return r;
  }
  if (facts.end == TransferFacts::End::kTimeout) {
    r.timed_out = true;
    r.error = "timeout after " + std::to_string(timeout_ms) + " ms";
  } else {
    r.error = facts.error;
  }
  if (refused) r.error += " (other addresses: " + facts.refusals.front() + ")";
  return r;
}

struct HttpClient::Impl {
  struct Transfer {
    Impl* impl = nullptr;
    std::list<Transfer>::iterator self;
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    HttpRequest request;
    std::chrono::steady_clock::time_point started;
    std::string response;
    size_t read = 0;
    bool cut = false;
    std::vector<std::string> refusals;
    bool allowed_address_used = false;
    std::optional<std::string> retry_after;
    char errbuf[CURL_ERROR_SIZE] = {0};
  };

  HttpOptions options;
  HttpTestHooks hooks;
  CURLM* multi = nullptr;
  std::list<Transfer> transfers;
  std::vector<CURL*> idle;  // recycled easy handles
  std::vector<HttpResult> results;
  curl_slist* resolve = nullptr;  // HttpOptions::resolve (tests)
  size_t bytes_in_flight = 0;

  static size_t OnBody(char* data, size_t size, size_t n, void* userp) {
    auto* t = static_cast<Transfer*>(userp);
    size_t len = size * n;
    if (t->response.size() < kStoredResponseBytes)
      t->response.append(data, std::min(len, kStoredResponseBytes - t->response.size()));
    t->read += len;
    if (t->read > kMaxReadResponseBytes) {
      t->cut = true;
      return 0;  // stop reading: CURLE_WRITE_ERROR, handled as a response
    }
    return len;
  }

  static size_t OnHeader(char* data, size_t size, size_t n, void* userp) {
    auto* t = static_cast<Transfer*>(userp);
    size_t len = size * n;
    std::string_view line(data, len);
    if (line.starts_with("HTTP/")) {
      t->retry_after.reset();  // a new response (after 100 Continue)
    } else if (line.size() > 12 && Lower(line.substr(0, 12)) == "retry-after:") {
      std::string_view v = line.substr(12);
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.remove_suffix(1);
      t->retry_after = std::string(v.substr(0, 128));
    }
    return len;
  }

  static curl_socket_t OnOpenSocket(void* clientp, curlsocktype purpose, curl_sockaddr* address) {
    auto* t = static_cast<Transfer*>(clientp);
    if (purpose == CURLSOCKTYPE_IPCXN) {
      const Impl& m = *t->impl;
      auto why = m.hooks.address_policy ? m.hooks.address_policy(&address->addr)
                                        : RefuseAddress(&address->addr, m.options.allow_private_networks);
      if (why) {
        if (t->refusals.size() < 8) t->refusals.push_back(std::move(*why));
        return CURL_SOCKET_BAD;
      }
    }
    curl_socket_t fd = socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
    if (fd != CURL_SOCKET_BAD && purpose == CURLSOCKTYPE_IPCXN) t->allowed_address_used = true;
    return fd;
  }

  CURL* TakeEasy() {
    if (!idle.empty()) {
      CURL* e = idle.back();
      idle.pop_back();
      curl_easy_reset(e);
      return e;
    }
    CURL* e = curl_easy_init();
    if (e == nullptr) throw std::runtime_error("curl_easy_init failed");
    return e;
  }

  void Finish(std::list<Transfer>::iterator it, CURLcode code) {
    Transfer& t = *it;
    TransferFacts facts;
    facts.refusals = std::move(t.refusals);
    facts.allowed_address_used = t.allowed_address_used;
    if (code == CURLE_OK || (code == CURLE_WRITE_ERROR && t.cut)) {
      long status = 0;
      curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
      facts.end = TransferFacts::End::kResponse;
      facts.status = int(status);
    } else if (code == CURLE_OPERATION_TIMEDOUT) {
      facts.end = TransferFacts::End::kTimeout;
    } else {
      facts.error = curl_easy_strerror(code);
      if (t.errbuf[0] != '\0') facts.error += std::string(": ") + t.errbuf;
    }
    HttpResult r = DecideResult(facts, t.request.timeout_ms);
    r.id = t.request.id;
    r.duration_ms = long(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t.started)
            .count());
    r.response_bytes_read = t.read;
    if (r.status) {
      r.response = std::move(t.response);
      r.retry_after = std::move(t.retry_after);
    }
    results.push_back(std::move(r));
    Release(it);
  }

  void Release(std::list<Transfer>::iterator it) {
    bytes_in_flight -= it->request.body.size();
    curl_multi_remove_handle(multi, it->easy);
    curl_slist_free_all(it->headers);
    if (idle.size() < 1024)
      idle.push_back(it->easy);
    else
      curl_easy_cleanup(it->easy);
    transfers.erase(it);
  }

  void Collect() {
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi, &left)) {
      if (m->msg != CURLMSG_DONE) continue;
      void* priv = nullptr;
      curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
      if (priv != nullptr) Finish(static_cast<Transfer*>(priv)->self, m->data.result);
    }
  }
};

HttpClient::HttpClient(HttpOptions options, HttpTestHooks hooks) : impl_(std::make_unique<Impl>()) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  impl_->options = options;
  impl_->hooks = std::move(hooks);
  impl_->multi = curl_multi_init();
  if (impl_->multi == nullptr) throw std::runtime_error("curl_multi_init failed");
  for (const auto& entry : impl_->hooks.resolve)
    impl_->resolve = curl_slist_append(impl_->resolve, entry.c_str());
  curl_multi_setopt(impl_->multi, CURLMOPT_PIPELINING, long(CURLPIPE_MULTIPLEX));
  curl_multi_setopt(impl_->multi, CURLMOPT_MAXCONNECTS, options.max_connections);
}

HttpClient::~HttpClient() {
  AbortAll();
  for (CURL* e : impl_->idle) curl_easy_cleanup(e);
  curl_multi_cleanup(impl_->multi);
  curl_slist_free_all(impl_->resolve);
}

void HttpClient::Submit(HttpRequest request) {
  Impl& m = *impl_;
  m.transfers.emplace_back();
  auto it = std::prev(m.transfers.end());
  Impl::Transfer& t = *it;
  t.impl = &m;
  t.self = it;
  t.request = std::move(request);
  t.request.timeout_ms = std::clamp(t.request.timeout_ms, 1L, kMaxTimeoutMs);
  t.easy = m.TakeEasy();
  t.started = std::chrono::steady_clock::now();
  for (const auto& h : t.request.headers)
    t.headers = curl_slist_append(t.headers, (h.name + ": " + h.value).c_str());
  t.headers = curl_slist_append(t.headers, "Expect:");  // no 100-continue round trip
  t.headers = curl_slist_append(t.headers, "Accept:");
  CURL* e = t.easy;
  curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
  curl_easy_setopt(e, CURLOPT_URL, t.request.url.c_str());
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_PROXY, "");  // never route through an environment proxy
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_POST, 1L);
  // Sent from the request's own buffer: POSTFIELDS does not copy (never COPYPOSTFIELDS).
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, t.request.body.data());
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(t.request.body.size()));
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.headers);
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, long(CURL_HTTP_VERSION_2TLS));
  if (t.request.url.starts_with("https:")) curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, t.request.timeout_ms);
  if (m.resolve != nullptr) curl_easy_setopt(e, CURLOPT_RESOLVE, m.resolve);
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.errbuf);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Impl::OnBody);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Impl::OnHeader);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, &Impl::OnOpenSocket);
  curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, &t);
  m.bytes_in_flight += t.request.body.size();
  if (CURLMcode rc = curl_multi_add_handle(m.multi, e); rc != CURLM_OK) {
    m.bytes_in_flight -= t.request.body.size();
    HttpResult r;
    r.id = t.request.id;
    r.error = std::string("curl_multi_add_handle: ") + curl_multi_strerror(rc);
    m.results.push_back(std::move(r));
    curl_slist_free_all(t.headers);
    curl_easy_cleanup(e);
    m.transfers.erase(it);
  }
}

size_t HttpClient::InFlight() const {
  return impl_->transfers.size();
}

size_t HttpClient::BytesInFlight() const {
  return impl_->bytes_in_flight;
}

void HttpClient::Run(std::chrono::milliseconds timeout, std::vector<WaitFd>& fds) {
  Impl& m = *impl_;
  int running = 0;
  curl_multi_perform(m.multi, &running);
  m.Collect();
  std::vector<curl_waitfd> extra;
  for (auto& f : fds) {
    f.readable = false;
    if (f.fd >= 0) extra.push_back({f.fd, CURL_WAIT_POLLIN, 0});
  }
  // Results already waiting: do not sleep.
  int wait_ms = m.results.empty() ? int(std::max<long long>(0, timeout.count())) : 0;
  curl_multi_poll(m.multi, extra.data(), unsigned(extra.size()), wait_ms, nullptr);
  size_t k = 0;
  for (auto& f : fds) {
    if (f.fd < 0) continue;
    f.readable = (extra[k++].revents & CURL_WAIT_POLLIN) != 0;
  }
  curl_multi_perform(m.multi, &running);
  m.Collect();
}

std::vector<HttpResult> HttpClient::TakeResults() {
  std::vector<HttpResult> out;
  out.swap(impl_->results);
  return out;
}

std::vector<uint64_t> HttpClient::AbortAll() {
  std::vector<uint64_t> ids;
  while (!impl_->transfers.empty()) {
    ids.push_back(impl_->transfers.front().request.id);
    impl_->Release(impl_->transfers.begin());
  }
  return ids;
}

void HttpClient::Wakeup() {
  curl_multi_wakeup(impl_->multi);
}

}  // namespace webhooks

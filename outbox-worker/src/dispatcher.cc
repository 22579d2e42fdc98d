#include "dispatcher.h"

#include "logging.h"

namespace webhooks {

void Dispatcher::Queue(ClaimedMessage m) {
  body_bytes_ += m.body.size();
  ++queued_per_subscription_[m.subscription_id];
  queue_.push_back(std::move(m));
}

std::optional<HttpRequest> Dispatcher::Next(std::time_t now, std::vector<std::string>* dropped,
                                            const std::function<bool(int64_t)>& may_send) {
  auto it = queue_.begin();
  while (it != queue_.end() && may_send && !may_send(it->subscription_id)) ++it;
  if (it == queue_.end()) return std::nullopt;
  ClaimedMessage m = std::move(*it);
  queue_.erase(it);
  body_bytes_ -= m.body.size();
  auto q = queued_per_subscription_.find(m.subscription_id);
  if (q != queued_per_subscription_.end() && --q->second <= 0) queued_per_subscription_.erase(q);
  return Start(std::move(m), now, dropped);
}

HttpRequest Dispatcher::Start(ClaimedMessage m, std::time_t now, std::vector<std::string>* dropped) {
  HttpRequest req;
  req.id = next_id_++;
  req.headers = BuildHeaders(m.event_id, m.secrets, m.body, int64_t(now), m.headers, dropped);
  req.url = std::move(m.url);
  req.body = std::move(m.body);
  req.timeout_ms = m.timeout_ms;
  Flight f{std::move(m.lease_token), m.message_id, m.subscription_id,  std::move(m.subscription_name),
           std::move(m.event_id),    m.attempt,    RedactUrl(req.url), req.body.size()};
  body_bytes_ += f.body_bytes;
  ++per_subscription_[f.subscription_id];
  flights_.emplace(req.id, std::move(f));
  return req;
}

const Flight* Dispatcher::Find(uint64_t id) const {
  auto it = flights_.find(id);
  return it == flights_.end() ? nullptr : &it->second;
}

void Dispatcher::Forget(std::unordered_map<uint64_t, Flight>::iterator it) {
  body_bytes_ -= it->second.body_bytes;
  auto s = per_subscription_.find(it->second.subscription_id);
  if (s != per_subscription_.end() && --s->second <= 0) per_subscription_.erase(s);
  flights_.erase(it);
}

std::optional<Finished> Dispatcher::Finish(HttpResult r, std::time_t now) {
  auto it = flights_.find(r.id);
  if (it == flights_.end()) return std::nullopt;
  Finished out;
  out.flight = it->second;
  Forget(it);
  out.label = LabelAttempt(r.status, r.timed_out, r.refused);
  AttemptResult& a = out.result;
  a.lease_token = out.flight.lease_token;
  a.message_id = out.flight.message_id;
  a.status_code = r.status;
  a.duration_ms = r.duration_ms;
  if (!r.error.empty()) a.error = std::move(r.error);
  if (r.status && !r.response.empty()) a.response = std::move(r.response);
  if (r.retry_after && IsRetryable(out.label)) a.retry_after_s = ParseRetryAfter(*r.retry_after, now);
  return out;
}

std::map<std::string, std::vector<int64_t>> Dispatcher::Abandon(const std::vector<uint64_t>& ids) {
  std::map<std::string, std::vector<int64_t>> by_lease;
  for (uint64_t id : ids) {
    auto it = flights_.find(id);
    if (it == flights_.end()) continue;
    by_lease[it->second.lease_token].push_back(it->second.message_id);
    Forget(it);
  }
  for (auto& m : queue_) {
    by_lease[m.lease_token].push_back(m.message_id);
    body_bytes_ -= m.body.size();
  }
  queue_.clear();
  queued_per_subscription_.clear();
  return by_lease;
}

}  // namespace webhooks

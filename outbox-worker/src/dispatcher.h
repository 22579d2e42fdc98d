// dispatcher: owns the claimed messages until their results exist. Claimed
// messages wait in a local queue (a claim brings a whole batch even when
// only part of the wire is free, so a claim's fixed cost is spread over a
// full batch); Next() turns the oldest into a signed HTTP request when a slot
// is free, remembering which lease, message and subscription it belongs to;
// Finish() turns a finished request into the result webhooks.record takes.
// It knows how many requests each subscription has on the wire (the claim
// policy's fair share) and how many body bytes are held, queued or on the
// wire (the memory budget). Pure: no network, no database, no clock.
#pragma once

#include <cstdint>
#include <ctime>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "db.h"
#include "http.h"
#include "retry.h"

namespace webhooks {

// A request on the wire.
struct Flight {
  std::string lease_token;
  int64_t message_id = 0;
  int64_t subscription_id = 0;
  std::string subscription_name;
  std::string event_id;
  int attempt = 1;
  std::string host;  // scheme://host:port only (RedactUrl)
  size_t body_bytes = 0;
};

// A request that finished: what it was, what happened, what to record.
struct Finished {
  Flight flight;
  AttemptLabel label = AttemptLabel::kNetwork;
  AttemptResult result;
};

class Dispatcher {
 public:
  // Queues a claimed message.
  void Queue(ClaimedMessage m);
  // The oldest queued message as a request (Standard Webhooks headers signed
  // at `now`), now on the wire; nullopt when none is queued. Names of extra
  // headers left out go to *dropped.
  // Only messages whose subscription may_send(subscription_id) allows are
  // taken (the others keep their place).
  std::optional<HttpRequest> Next(std::time_t now, std::vector<std::string>* dropped = nullptr,
                                  const std::function<bool(int64_t)>& may_send = nullptr);
  // Builds the request for m and puts it on the wire at once.
  HttpRequest Start(ClaimedMessage m, std::time_t now, std::vector<std::string>* dropped = nullptr);
  // The result of a request started here; nullopt for an unknown id.
  std::optional<Finished> Finish(HttpResult r, std::time_t now);
  // Forgets the given requests (aborted on shutdown) and everything queued;
  // returns their message ids grouped by lease token, for webhooks.release.
  std::map<std::string, std::vector<int64_t>> Abandon(const std::vector<uint64_t>& ids);

  const Flight* Find(uint64_t id) const;                  // a request on the wire
  int in_flight() const { return int(flights_.size()); }  // on the wire
  int queued() const { return int(queue_.size()); }
  size_t body_bytes() const { return body_bytes_; }  // queued and on the wire
  // Requests in flight per subscription (only those with at least one).
  const std::map<int64_t, int>& per_subscription() const { return per_subscription_; }
  // Messages queued per subscription (only those with at least one).
  const std::map<int64_t, int>& queued_per_subscription() const { return queued_per_subscription_; }

 private:
  void Forget(std::unordered_map<uint64_t, Flight>::iterator it);

  std::deque<ClaimedMessage> queue_;
  std::unordered_map<uint64_t, Flight> flights_;
  std::map<int64_t, int> per_subscription_;
  std::map<int64_t, int> queued_per_subscription_;
  size_t body_bytes_ = 0;
  uint64_t next_id_ = 1;
};

}  // namespace webhooks

// dispatcher: owns the in-flight table. It turns a claimed message into a
// signed HTTP request (remembering which lease, message and subscription it
// belongs to), and a finished request into the result webhooks.record
// takes. It knows how many requests each subscription has in flight (the
// claim policy's fair share) and how many body bytes are held (the memory
// budget). Pure: no network, no database, no clock of its own.
#pragma once

#include <cstdint>
#include <ctime>
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
  // Builds the request for m (Standard Webhooks headers signed at `now`) and
  // remembers it; names of extra headers left out go to *dropped.
  HttpRequest Start(ClaimedMessage m, std::time_t now, std::vector<std::string>* dropped = nullptr);
  // The result of a request started here; nullopt for an unknown id.
  std::optional<Finished> Finish(HttpResult r, std::time_t now);
  // Forgets the given requests (aborted on shutdown); returns their message
  // ids grouped by lease token, for webhooks.release.
  std::map<std::string, std::vector<int64_t>> Abandon(const std::vector<uint64_t>& ids);

  int in_flight() const { return int(flights_.size()); }
  size_t body_bytes() const { return body_bytes_; }
  // Requests in flight per subscription (only those with at least one).
  const std::map<int64_t, int>& per_subscription() const { return per_subscription_; }

 private:
  void Forget(std::unordered_map<uint64_t, Flight>::iterator it);

  std::unordered_map<uint64_t, Flight> flights_;
  std::map<int64_t, int> per_subscription_;
  size_t body_bytes_ = 0;
  uint64_t next_id_ = 1;
};

}  // namespace webhooks

#include "worker.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <unordered_map>
#include <unordered_set>

#include "db.h"
#include "http.h"
#include "logging.h"
#include "recorder.h"
#include "retry.h"

namespace webhooks {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

// A request on the wire.
struct Flight {
  int64_t message_id = 0;
  int64_t subscription_id = 0;
  int attempt = 1;
  std::string event_id;
  std::string host;  // scheme://host:port only
};

}  // namespace

struct Worker::Impl {
  Config cfg;
  Metrics& metrics;
  StopSignal stop;
  Database db;
  HttpClient http;

  // Records results on its own connection and thread; declared after http
  // (its wake-up) so that it is stopped first.
  Recorder recorder;

  std::unordered_map<uint64_t, Flight> flights;
  uint64_t next_request_id = 1;
  std::vector<AttemptResult> unrecorded;  // collected, not yet handed to the recorder
  Clock::time_point oldest_unrecorded{};
  uint64_t records_seen = 0;  // recorder.records_done() when last looked at

  bool ever_connected = false;
  Backoff backoff;
  Clock::time_point next_connect_at{};
  Clock::time_point next_claim_retry_at{};  // back-off after a failed claim
  Backoff claim_backoff;

  bool want_claim = true;           // NOTIFY, poll, due time or a full batch says: look
  bool claim_after_record = false;  // due work held back (max_in_flight): look after a record
  Clock::time_point next_poll_at{};
  std::optional<Clock::time_point> next_due_at;
  Clock::time_point next_lag_probe_at{};

  bool draining = false;
  Clock::time_point drain_deadline{};
  bool once_done = false;  // --once: a claim came back empty
  std::unordered_set<int64_t> warned_lease;
  int empty_claims = 0;  // in a row
  static constexpr milliseconds kContentionRetry{20};
  static constexpr int kOnceMaxEmptyClaims = 250;  // --once: ~5 s of contention at most

  Impl(Config c, Metrics& m, StopSignal s)
      : cfg(std::move(c)),
        metrics(m),
        stop(s),
        db(cfg.database_url, cfg.worker_id),
        http(HttpOptions{cfg.allow_private_networks, std::max(64L, long(cfg.concurrency) * 2)}),
        recorder(cfg, m, [this] { http.Wakeup(); }),
        backoff(milliseconds(100), cfg.reconnect_max_backoff),
        claim_backoff(milliseconds(100), cfg.reconnect_max_backoff) {}

  int batch() const { return std::min(cfg.batch_size, cfg.concurrency); }
  int in_flight() const { return int(flights.size()); }
  // Results not yet recorded: collected here or waiting in the recorder.
  size_t unrecorded_count() const { return unrecorded.size() + recorder.pending(); }

  // ---- database connection -------------------------------------------------

  void TryConnect(Clock::time_point now) {
    try {
      db.Connect();
    } catch (const DbError& e) {
      auto wait = backoff.Next();
      next_connect_at = now + wait;
      metrics.SetDbUp(false);
      metrics.AddDbError(DbErrorKindName(e.kind()));
      spdlog::warn("event=db_connect_failed kind={} retry_in_ms={} error={}", DbErrorKindName(e.kind()),
                   wait.count(), Q(e.what()));
      return;
    }
    backoff.Reset();
    metrics.SetDbUp(true);
    if (ever_connected) metrics.AddReconnect();
    spdlog::info("event=db_connected {} worker_id={} unrecorded={}", db.Describe(), Q(cfg.worker_id),
                 unrecorded_count());
    if (!ever_connected) sd_notify(0, "READY=1\nSTATUS=connected, delivering");
    ever_connected = true;
    want_claim = true;  // notifications may have been missed while away
  }

  // After a DbError: count it and, if the connection went, schedule a reconnect.
  void OnDbError(const char* op, const DbError& e, Clock::time_point now) {
    metrics.AddDbError(DbErrorKindName(e.kind()));
    if (!db.connected()) {
      metrics.SetDbUp(false);
      auto wait = backoff.Next();
      next_connect_at = now + wait;
      spdlog::warn("event=db_lost op={} kind={} reconnect_in_ms={} in_flight={} unrecorded={} error={}", op,
                   DbErrorKindName(e.kind()), wait.count(), in_flight(), unrecorded_count(), Q(e.what()));
    } else {
      spdlog::error("event=db_error op={} kind={} error={}", op, DbErrorKindName(e.kind()), Q(e.what()));
    }
  }

  // ---- claim ---------------------------------------------------------------

  bool ClaimWanted(Clock::time_point now) const {
    if (want_claim) return true;
    if (now >= next_poll_at) return true;
    if (next_due_at && now >= *next_due_at) return true;
    return false;
  }

  // Messages of ours still holding a lease: on the wire, or answered and
  // not yet recorded. They count against --concurrency as they count against
  // max_in_flight in the database: claiming while results wait for the
  // recorder would mostly bring back short or empty claims, and if recording
  // falls behind (a slow database, the recorder reconnecting) claims pause
  // instead of piling up results whose leases run out.
  int busy() const { return in_flight() + int(unrecorded_count()); }

  bool HasRoom() const {
    int b = batch();
    return busy() == 0 || busy() < cfg.concurrency - b / 2;
  }

  // Returns false on a fatal error (--once only).
  bool MaybeClaim(Clock::time_point now) {
    if (draining || once_done || !db.connected() || now < next_claim_retry_at) return true;
    if (!ClaimWanted(now) || !HasRoom()) return true;
    int n = std::min(batch(), cfg.concurrency - busy());
    std::vector<ClaimedMessage> got;
    try {
      got = db.Claim(n, cfg.lease);
    } catch (const DbError& e) {
      OnDbError("claim", e, now);
      auto wait = claim_backoff.Next();
      next_claim_retry_at = now + wait;
      if (cfg.once && e.kind() == DbErrorKind::kPermanent) return false;
      return true;
    }
    claim_backoff.Reset();
    next_poll_at = now + cfg.poll_interval;
    metrics.AddClaimed(long(got.size()));
    if (!got.empty())
      spdlog::debug("event=claimed count={} asked={} in_flight={}", got.size(), n, in_flight());
    for (auto& m : got) Send(std::move(m));
    if (!got.empty()) {
      // A full batch: probably more where these came from. A short one: the
      // claim splits a batch between subscriptions, so just claim again.
      want_claim = true;
      empty_claims = 0;
      return true;
    }
    want_claim = false;
    claim_after_record = true;  // our own results free max_in_flight room
    auto due_in = ProbeNextDue(now);
    bool due_now = due_in && *due_in <= 0;
    ++empty_claims;
    if (due_now) {
      // Claimable work that this claim did not get: another worker held the
      // subscription's row for a moment. Look again shortly.
      next_due_at = now + kContentionRetry;
    } else if (due_in) {
      next_due_at = now + milliseconds(static_cast<long long>(*due_in * 1000.0) + 1);
    } else {
      next_due_at.reset();
    }
    if (cfg.once && in_flight() == 0 && unrecorded_count() == 0 &&
        (!due_now || empty_claims > kOnceMaxEmptyClaims))
      once_done = true;  // nothing of ours pending and nothing due now
    return true;
  }

  // Asks when work is next due (seconds from now; negative: overdue) and
  // sets the queue-lag gauge.
  std::optional<double> ProbeNextDue(Clock::time_point now) {
    next_lag_probe_at = now + std::chrono::seconds(1);
    std::optional<double> due_in;
    try {
      due_in = db.NextDueIn();
    } catch (const DbError& e) {
      OnDbError("next_due", e, now);
      return std::nullopt;
    }
    metrics.SetQueueLag(due_in && *due_in < 0 ? -*due_in : 0.0);
    return due_in;
  }

  void Send(ClaimedMessage m) {
    if (m.timeout_ms >= cfg.lease.count() && warned_lease.insert(m.subscription_id).second)
      spdlog::warn("event=lease_shorter_than_timeout subscription_id={} timeout_ms={} lease_ms={} note={}",
                   m.subscription_id, m.timeout_ms, cfg.lease.count(),
                   Q("another worker may claim the message while this request is still running; raise --lease"));
    std::vector<std::string> dropped;
    int64_t ts = int64_t(std::time(nullptr));
    HttpRequest req;
    req.id = next_request_id++;
    req.headers = BuildHeaders(m.event_id, m.secrets, m.body, ts, m.headers, &dropped);
    if (!dropped.empty()) {
      std::string names;
      for (const auto& d : dropped) names += (names.empty() ? "" : ",") + d;
      spdlog::warn("event=headers_dropped subscription_id={} names={}", m.subscription_id, Q(names));
    }
    req.url = std::move(m.url);
    req.body = std::move(m.body);
    req.timeout_ms = m.timeout_ms;
    Flight f{m.message_id, m.subscription_id, m.attempt, m.event_id, RedactUrl(req.url)};
    spdlog::trace("event=send message_id={} event_id={} subscription_id={} attempt={} url={}", f.message_id,
                  f.event_id, f.subscription_id, f.attempt, Q(f.host));
    flights.emplace(req.id, std::move(f));
    http.Submit(std::move(req));
  }

  // ---- results -------------------------------------------------------------

  void Collect(Clock::time_point now) {
    for (auto& r : http.TakeResults()) {
      auto it = flights.find(r.id);
      if (it == flights.end()) continue;
      Flight f = std::move(it->second);
      flights.erase(it);
      AttemptLabel label = LabelAttempt(r.status, r.timed_out, r.refused);
      metrics.ObserveAttempt(std::string(AttemptLabelName(label)), double(r.duration_ms) / 1000.0);
      AttemptResult a;
      a.message_id = f.message_id;
      a.attempt = f.attempt;
      a.status_code = r.status;
      a.duration_ms = r.duration_ms;
      if (!r.error.empty()) a.error = r.error;
      if (r.status && !r.response.empty()) a.response = r.response;
      if (r.retry_after && IsRetryable(label))
        a.retry_after_s = ParseRetryAfter(*r.retry_after, std::time(nullptr));
      if (label == AttemptLabel::kDelivered) {
        spdlog::debug(
            "event=attempt outcome={} message_id={} event_id={} subscription_id={} attempt={} status={} "
            "duration_ms={} url={}",
            AttemptLabelName(label), f.message_id, f.event_id, f.subscription_id, f.attempt, *r.status,
            r.duration_ms, Q(f.host));
      } else {
        spdlog::info(
            "event=attempt outcome={} message_id={} event_id={} subscription_id={} attempt={} status={} "
            "duration_ms={} url={} error={}",
            AttemptLabelName(label), f.message_id, f.event_id, f.subscription_id, f.attempt,
            r.status ? std::to_string(*r.status) : "none", r.duration_ms, Q(f.host), Q(r.error));
      }
      if (unrecorded.empty()) oldest_unrecorded = now;
      unrecorded.push_back(std::move(a));
    }
  }

  bool RecordDue(Clock::time_point now) const {
    if (unrecorded.empty()) return false;
    return int(unrecorded.size()) >= cfg.record_batch || now - oldest_unrecorded >= cfg.record_interval ||
           draining || once_done;
  }

  // Hands the collected results to the recorder and carries on at once.
  void Record() {
    recorder.Submit(std::move(unrecorded));
    unrecorded.clear();
  }

  // A record finished on the recorder's thread (it woke us): if an empty
  // claim was waiting for our own results to free max_in_flight room, look again.
  void CheckRecorded() {
    uint64_t done = recorder.records_done();
    if (done == records_seen) return;
    records_seen = done;
    if (claim_after_record) {
      claim_after_record = false;
      want_claim = true;
    }
  }

  // ---- shutdown ------------------------------------------------------------

  void BeginDrain(Clock::time_point now) {
    draining = true;
    drain_deadline = now + cfg.grace_period;
    sd_notify(0, "STOPPING=1\nSTATUS=draining");
    spdlog::info("event=stopping in_flight={} grace_ms={} note={}", in_flight(), cfg.grace_period.count(),
                 Q("no more claims; a second signal exits at once"));
  }

  int FinishDrain() {
    std::vector<int64_t> release;
    for (uint64_t id : http.AbortAll()) {
      auto it = flights.find(id);
      if (it != flights.end()) release.push_back(it->second.message_id);
    }
    flights.clear();
    Collect(Clock::now());
    // Record everything collected: the recorder tries what it holds once
    // more, after a reconnect if need be, then stops. A second signal still
    // exits at once meanwhile.
    Record();
    recorder.Finish();
    while (!recorder.WaitFinished(milliseconds(50))) {
      if (signals_seen() >= 2) {
        spdlog::warn("event=exit_now reason={} unrecorded={} note={}", Q("second signal"), unrecorded_count(),
                     Q("leases expire and the messages are delivered again"));
        return 1;
      }
    }
    size_t left = recorder.pending();
    auto now = Clock::now();
    if (!db.connected() && !release.empty()) TryConnect(now);
    int released = 0;
    if (!release.empty() && db.connected()) {
      try {
        released = db.Release(release);
        metrics.AddReleased(long(release.size()));
      } catch (const DbError& e) {
        OnDbError("release", e, Clock::now());
      }
    }
    spdlog::info(
        "event=stopped recorded_pending={} abandoned={} released={} note={}", left, release.size(), released,
        Q(left == 0 ? "clean" : "unrecorded attempts are redelivered after their lease expires"));
    return 0;
  }

  // ---- the loop ------------------------------------------------------------

  int signals_seen() const { return stop.count ? stop.count->load() : 0; }

  milliseconds WaitTime(Clock::time_point now) const {
    Clock::time_point until = now + cfg.poll_interval;
    auto sooner = [&until](Clock::time_point t) { until = std::min(until, t); };
    if (!unrecorded.empty()) sooner(oldest_unrecorded + cfg.record_interval);
    if (!db.connected()) sooner(next_connect_at);
    if (!draining && db.connected()) {
      sooner(std::max(next_poll_at, next_claim_retry_at));
      if (next_due_at) sooner(*next_due_at);
      if (want_claim && HasRoom()) sooner(std::max(now, next_claim_retry_at));
    }
    if (draining) sooner(drain_deadline);
    if (now >= until) return milliseconds(0);
    return duration_cast<milliseconds>(until - now) + milliseconds(1);
  }

  int Run() {
    spdlog::info(
        "event=starting version={} worker_id={} concurrency={} batch_size={} lease_ms={} "
        "allow_private_networks={} once={}",
        WEBHOOKS_WORKER_VERSION, Q(cfg.worker_id), cfg.concurrency, cfg.batch_size, cfg.lease.count(),
        cfg.allow_private_networks, cfg.once);
    std::vector<WaitFd> fds(2);
    while (true) {
      auto now = Clock::now();
      int signals = signals_seen();
      if (signals >= 2) {
        spdlog::warn("event=exit_now reason={} in_flight={} unrecorded={} note={}", Q("second signal"),
                     in_flight(), unrecorded_count(),
                     Q("leases expire and the messages are delivered again"));
        return 1;
      }
      if (signals == 1 && !draining) BeginDrain(now);

      if (!db.connected() && now >= next_connect_at) {
        TryConnect(now);
        if (!db.connected() && cfg.once && !ever_connected) {
          spdlog::error("event=exit reason={}", Q("--once: cannot connect to the database"));
          return 1;
        }
        now = Clock::now();
      }
      if (!MaybeClaim(now)) {
        spdlog::error("event=exit reason={}", Q("--once: claim failed"));
        return 1;
      }
      if (RecordDue(now)) Record();
      if (db.connected() && !draining && now >= next_lag_probe_at) ProbeNextDue(now);

      if (draining && (in_flight() == 0 || now >= drain_deadline)) return FinishDrain();
      if (cfg.once && once_done && in_flight() == 0 && unrecorded_count() == 0) {
        spdlog::info("event=done reason={}", Q("--once: nothing more is due"));
        return 0;
      }

      fds[0].fd = db.connected() ? db.listen_fd() : -1;
      fds[1].fd = stop.fd;
      http.Run(WaitTime(Clock::now()), fds);
      now = Clock::now();
      if (fds[1].readable) {
        char buf[64];
        while (read(stop.fd, buf, sizeof buf) > 0) {
        }
      }
      if (fds[0].readable && db.connected()) {
        try {
          if (db.ConsumeNotifications()) want_claim = true;
        } catch (const DbError& e) {
          OnDbError("listen", e, now);
        }
      }
      Collect(now);
      CheckRecorded();
      metrics.SetInFlight(in_flight());
      metrics.SetPendingResults(long(unrecorded_count()));
      metrics.Heartbeat();
    }
  }
};

Worker::Worker(Config config, Metrics& metrics, StopSignal stop)
    : impl_(std::make_unique<Impl>(std::move(config), metrics, stop)) {}
Worker::~Worker() = default;
int Worker::Run() {
  return impl_->Run();
}

}  // namespace webhooks

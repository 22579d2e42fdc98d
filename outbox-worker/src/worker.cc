#include "worker.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>

#include "claim_policy.h"
#include "claimer.h"
#include "db.h"
#include "db_supervisor.h"
#include "dispatcher.h"
#include "http.h"
#include "logging.h"
#include "recorder.h"
#include "retry.h"

namespace webhooks {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

ClaimPolicyOptions PolicyOptions(const Config& c) {
  ClaimPolicyOptions o;
  o.concurrency = c.concurrency;
  o.batch = std::min(c.batch_size, c.concurrency);
  o.byte_budget = size_t(c.max_body_bytes_in_flight);
  o.poll_interval = c.poll_interval;
  o.once = c.once;
  o.record_interval = c.record_interval;
  o.record_batch = c.record_batch;
  return o;
}

std::string Join(const std::vector<int64_t>& ids) {
  std::string out;
  for (int64_t id : ids) out += (out.empty() ? "" : ",") + std::to_string(id);
  return out.empty() ? "none" : out;
}

}  // namespace

// The loop wires the parts together: ClaimPolicy decides, DbSupervisor keeps
// the connections, Dispatcher owns what is on the wire, Recorder records.
struct Worker::Impl {
  Config cfg;
  Metrics& metrics;
  StopSignal stop;
  HttpClient http;
  FatalError fatal;  // wakes the loop (http) when the recorder hits an error that cannot heal
  Database db;       // LISTEN + work (next_due, release)
  DbSupervisor conn;
  // Records results on its own connection and thread; declared after http
  // and fatal (it uses both) so that it is stopped first.
  Recorder recorder;
  // Claims on its own connection and thread, so the wire keeps moving while
  // a claim runs (claimer.h has the figures).
  Claimer claimer;
  Dispatcher dispatcher;
  ClaimPolicy policy;
  Backoff claim_backoff;

  std::vector<AttemptResult> collected;  // not yet handed to the recorder
  Clock::time_point oldest_collected{};
  uint64_t records_seen = 0;  // recorder.records_done() when last looked at
  uint64_t connects_seen = 0;
  Clock::time_point next_lag_probe_at{};
  bool draining = false;
  Clock::time_point drain_deadline{};

  Impl(Config c, Metrics& m, StopSignal s)
      : cfg(std::move(c)),
        metrics(m),
        stop(s),
        http(HttpOptions{cfg.allow_private_networks, std::max(64L, long(cfg.concurrency) * 2)}),
        fatal([this] { http.Wakeup(); }),
        db(cfg.database_url, cfg.worker_id),
        conn("loop", db, m, fatal, cfg.reconnect_max_backoff, /*report_up=*/true),
        recorder(cfg, m, fatal, [this] { http.Wakeup(); }),
        claimer(cfg, m, fatal, [this] { http.Wakeup(); }),
        policy(PolicyOptions(cfg)),
        claim_backoff(milliseconds(100), cfg.reconnect_max_backoff) {}

  size_t unrecorded() const { return collected.size() + recorder.pending(); }

  Load CurrentLoad() const {
    Load l;
    l.in_flight = dispatcher.in_flight();
    l.queued = dispatcher.queued();
    l.unrecorded = int(unrecorded());
    l.body_bytes = dispatcher.body_bytes();
    l.per_subscription = dispatcher.per_subscription();
    l.queued_per_subscription = dispatcher.queued_per_subscription();
    return l;
  }

  std::string Held() const {
    return "in_flight=" + std::to_string(dispatcher.in_flight()) +
           " queued=" + std::to_string(dispatcher.queued()) + " unrecorded=" + std::to_string(unrecorded());
  }

  // ---- database ------------------------------------------------------------

  void EnsureConnected(Clock::time_point now) {
    if (!conn.Ensure(now) || conn.connects() == connects_seen) return;
    if (connects_seen == 0) sd_notify(0, "READY=1\nSTATUS=connected, delivering");
    connects_seen = conn.connects();
    policy.OnConnected(now);
  }

  // Declares waiting/busy when the policy's wish changed (on the LISTEN connection).
  void SyncWaiting(Clock::time_point now) {
    auto change = policy.WaitingChange();
    if (!change) return;
    bool notified = false;
    try {
      notified = db.SetWaiting(*change);
    } catch (const DbError& e) {
      if (e.sqlstate() == "42883") {
        // An extension older than this worker: it still works, woken by
        // whatever NOTIFYs publishers send and by the fallback poll.
        spdlog::warn("event=worker_waiting_unavailable error={} note={}", Q(e.what()),
                     Q("publishers may not wake this worker; it polls every --poll-interval"));
        policy.DisableWaiting();
        return;
      }
      conn.OnError("worker_waiting", e, now, Held());
      return;
    }
    policy.OnWaitingDeclared(now, *change);
    if (notified) policy.OnNotify(now);
    spdlog::debug("event=worker_waiting waiting={}", *change);
  }

  // Asks the claimer for a claim when the policy says so (one at a time).
  void MaybeClaim(Clock::time_point now) {
    if (claimer.busy()) return;
    auto plan = policy.Plan(now, CurrentLoad());
    if (plan) claimer.Start(std::move(*plan));
  }

  // Takes a finished claim: queues and sends what it got. Returns false on a
  // fatal error (--once only).
  bool TakeClaim(Clock::time_point now) {
    auto outcome = claimer.Take();
    if (!outcome) return true;
    const std::optional<ClaimPlan> plan = std::move(outcome->plan);
    std::vector<ClaimedMessage> got = std::move(outcome->got);
    if (outcome->error) {  // logged by the claimer's connection supervisor
      policy.OnClaimFailed(now, claim_backoff.Next());
      return !(cfg.once && outcome->error->kind() == DbErrorKind::kPermanent);
    }
    claim_backoff.Reset();
    metrics.AddClaimed(long(got.size()));
    spdlog::debug("event=claim reason={} asked={} got={} skip={} {}", ClaimReasonName(plan->reason),
                  plan->count, got.size(), Join(plan->skip), Held());
    std::vector<int64_t> subs;
    size_t bytes = 0;
    for (auto& m : got) {
      subs.push_back(m.subscription_id);
      bytes += m.body.size();
      dispatcher.Queue(std::move(m));
    }
    Pump();
    if (policy.OnClaimed(now, *plan, subs, bytes, CurrentLoad()))
      policy.OnNextDue(now, ProbeNextDue(now), CurrentLoad());
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
      conn.OnError("next_due", e, now, Held());
      return std::nullopt;
    }
    metrics.SetQueueLag(due_in && *due_in < 0 ? -*due_in : 0.0);
    return due_in;
  }

  // ---- requests and results ------------------------------------------------

  // Puts queued messages on the wire while slots are free (not once draining:
  // what was never sent is released).
  void Pump() {
    if (draining || dispatcher.queued() == 0) return;
    int cap = policy.Cap(Clock::now(), CurrentLoad());
    auto below_share = [this, cap](int64_t sub) {
      auto it = dispatcher.per_subscription().find(sub);
      return it == dispatcher.per_subscription().end() || it->second < cap;
    };
    while (dispatcher.in_flight() < cfg.concurrency) {
      std::vector<std::string> dropped;
      auto req = dispatcher.Next(std::time(nullptr), &dropped, below_share);
      if (!req) return;
      const Flight* f = dispatcher.Find(req->id);
      if (!dropped.empty() && f) {
        std::string names;
        for (const auto& d : dropped) names += (names.empty() ? "" : ",") + d;
        spdlog::warn("event=headers_dropped subscription={} subscription_id={} names={}",
                     Q(f->subscription_name), f->subscription_id, Q(names));
      }
      if (f)
        spdlog::trace("event=send subscription={} subscription_id={} message_id={} url={}",
                      Q(f->subscription_name), f->subscription_id, f->message_id, Q(f->host));
      http.Submit(std::move(*req));
    }
  }

  void Collect(Clock::time_point now) {
    for (auto& r : http.TakeResults()) {
      auto status = r.status;
      auto f = dispatcher.Finish(std::move(r), std::time(nullptr));
      if (!f) continue;
      const Flight& fl = f->flight;
      const AttemptResult& a = f->result;
      metrics.ObserveAttempt(std::string(AttemptLabelName(f->label)), double(a.duration_ms) / 1000.0);
      bool delivered = f->label == AttemptLabel::kDelivered;
      auto level = delivered && !cfg.log_deliveries ? spdlog::level::debug : spdlog::level::info;
      spdlog::log(level,
                  "event=attempt outcome={} subscription={} subscription_id={} message_id={} event_id={} "
                  "attempt={} status={} duration_ms={} url={}{}",
                  AttemptLabelName(f->label), Q(fl.subscription_name), fl.subscription_id, fl.message_id,
                  fl.event_id, fl.attempt, status ? std::to_string(*status) : "none", a.duration_ms,
                  Q(fl.host), delivered ? "" : " error=" + Q(a.error.value_or("")));
      if (collected.empty()) oldest_collected = now;
      collected.push_back(f->result);
    }
    Pump();
  }

  void MaybeRecord(Clock::time_point now) {
    bool now_please = draining || policy.done() ||
                      RecordNow(now, int(collected.size()), oldest_collected, dispatcher.in_flight(),
                                recorder.busy(), PolicyOptions(cfg));
    if (collected.empty() || !now_please) return;
    recorder.Submit(std::move(collected));
    collected.clear();
  }

  void CheckRecorded() {
    uint64_t done = recorder.records_done();
    if (done == records_seen) return;
    records_seen = done;
    policy.OnRecorded();
  }

  // ---- shutdown ------------------------------------------------------------

  void BeginDrain(Clock::time_point now) {
    draining = true;
    drain_deadline = now + cfg.grace_period;
    sd_notify(0, "STOPPING=1\nSTATUS=draining");
    spdlog::info("event=stopping in_flight={} grace_ms={} note={}", dispatcher.in_flight(),
                 cfg.grace_period.count(), Q("no more claims; a second signal exits at once"));
  }

  int FinishDrain() {
    // A request still on the wire when the grace period ends may have reached
    // its receiver, so it is recorded as an attempt (no response; retried on
    // the schedule), never silently released: every request sent has its row
    // (contract §9). Only messages that were never sent are released.
    std::vector<uint64_t> aborted = http.AbortAll();
    for (uint64_t id : aborted) {
      HttpResult r;
      r.id = id;
      r.error = "aborted: the worker stopped at the end of --grace-period (the receiver may have got it)";
      if (auto f = dispatcher.Finish(std::move(r), std::time(nullptr))) collected.push_back(f->result);
    }
    // A claim still running when the grace period ended: its messages were
    // never sent, so they are released with the rest.
    if (auto late = claimer.Wait()) {
      for (auto& m : late->got) dispatcher.Queue(std::move(m));
    }
    auto release = dispatcher.Abandon({});
    size_t abandoned = aborted.size();
    Collect(Clock::now());
    // Record everything collected: the recorder tries what it holds a few
    // more times, after a reconnect if need be, then stops. A second signal
    // still exits at once meanwhile.
    if (!collected.empty()) recorder.Submit(std::move(collected));
    collected.clear();
    recorder.Finish();
    while (!recorder.WaitFinished(milliseconds(50))) {
      if (signals_seen() >= 2) {
        spdlog::warn("event=exit_now reason={} unrecorded={} note={}", Q("second signal"), unrecorded(),
                     Q("leases expire and the messages are delivered again"));
        return 1;
      }
    }
    size_t left = recorder.pending();
    auto now = Clock::now();
    bool was_waiting = policy.waiting_declared();
    if (!release.empty() || was_waiting) EnsureConnected(now);
    int released = 0;
    if (conn.connected()) {
      for (const auto& [lease, ids] : release) {
        try {
          released += db.Release(lease, ids);
          metrics.AddReleased(long(ids.size()));
        } catch (const DbError& e) {
          conn.OnError("release", e, Clock::now());
        }
      }
      if (was_waiting && conn.connected()) {
        try {
          db.SetWaiting(false);  // publishers need not wake a worker that is gone
        } catch (const DbError& e) {
          conn.OnError("worker_waiting", e, Clock::now());
        }
      }
    }
    spdlog::info("event=stopped recorded_pending={} abandoned={} released={} note={}", left, abandoned,
                 released,
                 Q(left == 0 ? "clean" : "unrecorded attempts are redelivered after their lease expires"));
    return 0;
  }

  int ExitConfig(const std::string& what) {
    sd_notifyf(0, "STATUS=configuration error: %s", what.c_str());
    spdlog::critical("event=exit reason={} exit_code={} {} error={}", Q("configuration error"), kExitConfig,
                     Held(), Q(what));
    return kExitConfig;
  }

  // ---- the loop ------------------------------------------------------------

  int signals_seen() const { return stop.count ? stop.count->load() : 0; }

  milliseconds WaitTime(Clock::time_point now) const {
    Clock::time_point until = now + cfg.poll_interval;
    auto sooner = [&until](Clock::time_point t) { until = std::min(until, t); };
    if (!collected.empty()) sooner(oldest_collected + cfg.record_interval);
    if (!conn.connected()) sooner(conn.next_connect_at());
    // While a claim runs the claimer wakes the loop when it is done.
    if (!draining && conn.connected() && !claimer.busy()) sooner(policy.WakeAt(now, CurrentLoad()));
    if (draining) sooner(drain_deadline);
    if (now >= until) return milliseconds(0);
    return duration_cast<milliseconds>(until - now) + milliseconds(1);
  }

  int Run() {
    spdlog::info(
        "event=starting version={} worker_id={} concurrency={} batch_size={} lease_ms={} "
        "max_body_bytes_in_flight={} allow_private_networks={} once={}",
        WEBHOOKS_WORKER_VERSION, Q(cfg.worker_id), cfg.concurrency, cfg.batch_size, cfg.lease.count(),
        cfg.max_body_bytes_in_flight, cfg.allow_private_networks, cfg.once);
    std::vector<WaitFd> fds(2);
    while (true) {
      auto now = Clock::now();
      int signals = signals_seen();
      if (signals >= 2) {
        spdlog::warn("event=exit_now reason={} {} note={}", Q("second signal"), Held(),
                     Q("leases expire and the messages are delivered again"));
        return 1;
      }
      if (signals == 1 && !draining) BeginDrain(now);
      if (auto f = fatal.Get()) return ExitConfig(*f);

      if (!conn.connected()) {
        EnsureConnected(now);
        if (auto f = fatal.Get()) return ExitConfig(*f);
        if (!conn.connected() && cfg.once && !conn.ever_connected()) {
          spdlog::error("event=exit reason={}", Q("--once: cannot connect to the database"));
          return 1;
        }
        now = Clock::now();
      }
      if (!TakeClaim(now)) {
        spdlog::error("event=exit reason={}", Q("--once: claim failed"));
        return 1;
      }
      if (conn.connected() && !draining) {
        SyncWaiting(now);
        if (conn.connected()) MaybeClaim(now);
        if (auto f = fatal.Get()) return ExitConfig(*f);
      }
      MaybeRecord(now);
      if (conn.connected() && !draining && now >= next_lag_probe_at) ProbeNextDue(now);

      // A claim still running when draining began is waited for (its
      // messages are then released), unless the grace period ends first.
      if (draining && ((dispatcher.in_flight() == 0 && !claimer.busy()) || now >= drain_deadline))
        return FinishDrain();
      if (cfg.once && policy.done() && !claimer.busy() && dispatcher.in_flight() == 0 && unrecorded() == 0) {
        spdlog::info("event=done reason={}", Q("--once: nothing more is due"));
        return 0;
      }

      fds[0].fd = conn.connected() ? db.listen_fd() : -1;
      fds[1].fd = stop.fd;
      http.Run(WaitTime(Clock::now()), fds);
      now = Clock::now();
      if (fds[1].readable) {
        char buf[64];
        while (read(stop.fd, buf, sizeof buf) > 0) {
        }
      }
      if (fds[0].readable && conn.connected()) {
        try {
          if (db.ConsumeNotifications()) policy.OnNotify(now);
        } catch (const DbError& e) {
          conn.OnError("listen", e, now, Held());
        }
      }
      Collect(now);
      CheckRecorded();
      metrics.SetInFlight(dispatcher.in_flight());
      metrics.SetPendingResults(long(unrecorded()));
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

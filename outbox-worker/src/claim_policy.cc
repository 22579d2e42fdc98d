#include "claim_policy.h"

#include <algorithm>
#include <set>

namespace webhooks {

using std::chrono::milliseconds;

const char* ClaimReasonName(ClaimReason r) {
  switch (r) {
    case ClaimReason::kWanted: return "wanted";
    case ClaimReason::kNotify: return "notify";
    case ClaimReason::kRepoll: return "repoll";
    case ClaimReason::kPoll: return "poll";
    case ClaimReason::kDue: return "due";
  }
  return "wanted";
}

ClaimPolicy::ClaimPolicy(ClaimPolicyOptions o) : o_(std::move(o)) {
  o_.concurrency = std::max(1, o_.concurrency);
  o_.batch = std::clamp(o_.batch, 1, o_.concurrency);
}

void ClaimPolicy::OnConnected(Time now) {
  want_ = true;  // notifications may have been missed while away
  declared_waiting_ = false;
  next_poll_at_ = now + o_.poll_interval;
}

void ClaimPolicy::OnNotify(Time now) {
  notify_pending_ = true;
  (void)now;
}

void ClaimPolicy::OnRecorded() {
  if (claim_after_record_) {
    claim_after_record_ = false;
    want_ = true;
  }
}

std::optional<ClaimReason> ClaimPolicy::Trigger(Time now) const {
  if (done_ || now < retry_at_) return std::nullopt;
  if (want_) return ClaimReason::kWanted;
  if (notify_pending_ && now >= notify_hold_until_) return ClaimReason::kNotify;
  if (repoll_at_ && now >= *repoll_at_) return ClaimReason::kRepoll;
  if (next_due_at_ && now >= *next_due_at_) return ClaimReason::kDue;
  if (now >= next_poll_at_) return ClaimReason::kPoll;
  return std::nullopt;
}

int ClaimPolicy::FairShare(int active) const {
  if (active <= 1) {
    int reserve = o_.concurrency >= 4 ? std::max(1, o_.concurrency / 8) : 0;
    return std::max(1, o_.concurrency - reserve);
  }
  return std::max(1, o_.concurrency / active);
}

namespace {

std::set<int64_t> Active(const Load& load, const std::map<int64_t, ClaimPolicy::Time>& seen,
                         ClaimPolicy::Time now, std::chrono::milliseconds window) {
  std::set<int64_t> active;
  for (const auto& [sub, n] : load.per_subscription)
    if (n > 0) active.insert(sub);
  for (const auto& [sub, n] : load.queued_per_subscription)
    if (n > 0) active.insert(sub);
  for (const auto& [sub, at] : seen)
    if (now - at < window) active.insert(sub);
  return active;
}

}  // namespace

int ClaimPolicy::Cap(Time now, const Load& load) const {
  return FairShare(int(Active(load, seen_, now, o_.fair_window).size()));
}

std::vector<int64_t> ClaimPolicy::Saturated(Time now, const Load& load) const {
  auto active = Active(load, seen_, now, o_.fair_window);
  if (active.size() <= 1) return {};  // alone: its share is the wire less the reserve, nothing to skip for
  int cap = FairShare(int(active.size()));
  std::vector<int64_t> out;
  for (int64_t sub : active) {
    auto w = load.per_subscription.find(sub);
    auto q = load.queued_per_subscription.find(sub);
    int held = (w == load.per_subscription.end() ? 0 : w->second) +
               (q == load.queued_per_subscription.end() ? 0 : q->second);
    if (held >= cap) out.push_back(sub);
  }
  return out;
}

int ClaimPolicy::Room(const Load& load, int stuck) const {
  int free = o_.concurrency - load.in_flight - load.queued;
  if (free <= 0) return 0;
  int usable = std::max(1, std::min(o_.batch, o_.concurrency - stuck));
  if (load.in_flight + load.queued > stuck && free <= usable / 2) return 0;
  // Leases that turn over; those of subscriptions at their share do not
  // count, or a hanging receiver would starve the others' pipeline too.
  int held = load.in_flight + load.queued + load.unrecorded - stuck;
  int n = std::min(o_.batch, o_.concurrency + o_.batch - held);
  if (o_.byte_budget > 0) {
    if (load.body_bytes >= o_.byte_budget) return 0;
    if (body_estimate_ > 0) {
      size_t fits = (o_.byte_budget - load.body_bytes + body_estimate_ - 1) / body_estimate_;
      n = std::min<long long>(n, std::max<long long>(1, (long long)fits));
    }
  }
  return std::max(0, n);
}

int ClaimPolicy::Stuck(Time now, const Load& load) const {
  int cap = Cap(now, load);
  int n = 0;
  for (const auto& [sub, wire] : load.per_subscription)
    if (wire >= cap) n += wire;
  return n;
}

std::optional<ClaimPlan> ClaimPolicy::Plan(Time now, const Load& load) const {
  auto why = Trigger(now);
  if (!why) return std::nullopt;
  auto skip = Saturated(now, load);
  int n = Room(load, Stuck(now, load));
  if (n <= 0) return std::nullopt;
  ClaimPlan p;
  p.count = n;
  p.skip = std::move(skip);
  p.reason = *why;
  return p;
}

bool ClaimPolicy::OnClaimed(Time now, const ClaimPlan& plan, const std::vector<int64_t>& subscriptions,
                            size_t body_bytes, const Load& load) {
  // Whatever triggered this claim is answered.
  want_ = false;
  if (plan.reason == ClaimReason::kNotify || plan.reason == ClaimReason::kWanted) notify_pending_ = false;
  // Re-polls (offsets from the moment waiting was declared) that are past.
  while (repoll_at_ && now >= *repoll_at_) {
    ++repoll_index_;
    repoll_at_ = repoll_index_ < o_.repolls.size()
                     ? std::optional<Time>(declared_at_ + o_.repolls[repoll_index_])
                     : std::nullopt;
  }
  if (next_due_at_ && now >= *next_due_at_) next_due_at_.reset();
  next_poll_at_ = now + o_.poll_interval;
  for (auto it = seen_.begin(); it != seen_.end();)
    it = now - it->second >= o_.fair_window ? seen_.erase(it) : std::next(it);
  int got = int(subscriptions.size());
  if (got > 0) {
    for (int64_t s : subscriptions) seen_[s] = now;
    body_estimate_ = std::max<size_t>(1, body_bytes / size_t(got));
    notify_gap_ = milliseconds(0);
    contention_ = milliseconds(0);
    empty_due_now_ = 0;
    if (got >= plan.count) {
      want_ = true;           // full: more where these came from
      want_waiting_ = false;  // busy: publishers need not wake us
      return false;
    }
    if (std::set<int64_t>(subscriptions.begin(), subscriptions.end()).size() > 1) {
      want_ = true;  // short, several subscriptions: the claim split the batch between them; look again
      return false;
    }
    // Short, one subscription: it has no more due work (or is at its
    // max_in_flight), and others with due work would have had their share.
    // Like an empty claim, without asking next_due: a trickle of events
    // costs one claim each, not three statements.
    want_ = false;
    if (load.in_flight + load.queued + load.unrecorded > 0) claim_after_record_ = true;
    if (!o_.once) want_waiting_ = true;
    return false;
  }
  // Empty.
  if (load.in_flight + load.queued + load.unrecorded > 0)
    claim_after_record_ = true;  // our results free max_in_flight room
  if (plan.reason == ClaimReason::kNotify) {
    // Nothing behind that NOTIFY: coalesce the next ones.
    notify_gap_ = std::clamp(notify_gap_ * 2, o_.notify_gap_min, o_.notify_gap_max);
    notify_hold_until_ = now + notify_gap_;
  }
  if (!o_.once) want_waiting_ = true;
  return true;
}

void ClaimPolicy::OnNextDue(Time now, std::optional<double> due_in, const Load& load) {
  bool due_now = due_in && *due_in <= 0;
  if (due_now) {
    // Claimable work this claim did not get: another worker held the
    // subscription's row a moment, or it is one we skip or at its
    // max_in_flight. Look again soon, less often each time.
    contention_ = std::clamp(contention_ * 2, o_.contention_min, o_.poll_interval);
    next_due_at_ = now + contention_;
    ++empty_due_now_;
  } else if (due_in) {
    next_due_at_ = now + milliseconds(static_cast<long long>(*due_in * 1000.0) + 1);
  } else {
    next_due_at_.reset();
  }
  if (o_.once && load.in_flight + load.queued + load.unrecorded == 0 && (!due_now || empty_due_now_ > 250))
    done_ = true;  // nothing of ours pending and nothing due now (or ~5 s of contention)
}

void ClaimPolicy::OnClaimFailed(Time now, milliseconds retry_in) {
  retry_at_ = now + retry_in;
}

void ClaimPolicy::OnWaitingDeclared(Time now, bool waiting) {
  declared_waiting_ = waiting;
  want_waiting_ = waiting;
  if (waiting) {
    want_ = true;  // once more: a publisher may have checked just before the flag was set
    repoll_index_ = 0;
    declared_at_ = now;
    repoll_at_ = o_.repolls.empty() ? std::nullopt : std::optional<Time>(now + o_.repolls[0]);
  } else {
    repoll_at_.reset();
  }
}

std::optional<bool> ClaimPolicy::WaitingChange() const {
  if (o_.once || waiting_disabled_ || want_waiting_ == declared_waiting_) return std::nullopt;
  return want_waiting_;
}

ClaimPolicy::Time ClaimPolicy::WakeAt(Time now, const Load& load) const {
  Time until = now + o_.poll_interval;
  auto sooner = [&until](Time t) { until = std::min(until, t); };
  sooner(next_poll_at_);
  if (WaitingChange()) sooner(now);  // declare at once, then claim once more
  if (notify_pending_) sooner(notify_hold_until_);
  if (repoll_at_) sooner(*repoll_at_);
  if (next_due_at_) sooner(*next_due_at_);
  if (want_ && Room(load, Stuck(now, load)) > 0) sooner(now);
  return std::max(until, retry_at_);
}

bool RecordNow(std::chrono::steady_clock::time_point now, int collected,
               std::chrono::steady_clock::time_point oldest, int in_flight, bool recorder_busy,
               const ClaimPolicyOptions& o) {
  if (collected <= 0) return false;
  return recorder_busy || collected >= in_flight || collected >= o.record_batch ||
         now - oldest >= o.record_interval;
}

}  // namespace webhooks

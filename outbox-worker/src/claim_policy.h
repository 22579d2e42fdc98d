// claim_policy: when the loop claims, how many, whose messages it skips,
// and when it records. Pure (no I/O, no clock of its own: every call gets
// `now`), so it is unit-tested with a fake clock (tests/claim_policy_test.cc).
//
// Keeping the pipe full: claim again as soon as fewer than
// concurrency - batch/2 requests are on the wire or queued, while results of
// the last batch are still being recorded (at most concurrency + batch
// leases held); requests of subscriptions at their fair share are left out
// of that sum (they may not turn over for a whole timeout). A claim asks for
// a whole batch even when only part of the wire is free: the rest waits in
// the dispatcher's queue, so each claim's fixed cost covers a full batch.
// Measured (2 cores, PostgreSQL 15, fsync on, nginx 204 on loopback, 20,000
// ~200-byte POSTs, --once --concurrency 32, subscription max_in_flight 64 as
// bench/peers sets it): claiming only what the wire could take at once
// 6,009-6,575/s; with the queue 10,483-10,987/s (0.1.0: ~1,800-1,900/s).
// bench/drain/run (100,000, --concurrency 256): 12,801/s cold, 13,367/s analyzed.
//
// Fair share: a subscription may hold at most concurrency / N of the
// requests on the wire, N being the subscriptions that have work (on the
// wire, queued, or claimed within the fair window); its queued messages wait
// while it is at its share, and the claim skips it once it holds its share
// (webhooks.claim's skip_subscriptions). Alone, a subscription may use all
// but a reserve of concurrency/8 slots, so a newcomer always finds room even
// next to a receiver that hangs. Measured: bench/noisy-neighbour/run.
//
// Memory: while the bodies on the wire exceed the byte budget, no claim;
// below it, a claim asks only for as many messages as the budget left fits
// at the size of the last claim's bodies (at least one).
//
// Wake-ups (COMMON.md worker_waiting protocol): a claim that comes back
// empty makes the worker declare itself waiting (publishers then NOTIFY),
// claim once more (a publisher may have looked just before the flag was
// set), re-poll after 5 and 25 ms, then every --poll-interval or at the next
// due time. A full claim declares it busy again (publishers stop notifying).
// A NOTIFY flood cannot make it claim continuously: after a NOTIFY-triggered
// claim found nothing, further NOTIFYs are coalesced into one claim after a
// gap that doubles (5 ms .. 250 ms) until a claim finds work.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

namespace webhooks {

struct ClaimPolicyOptions {
  int concurrency = 64;
  int batch = 32;          // messages per claim, at most concurrency
  size_t byte_budget = 0;  // bodies on the wire; 0 = unbounded
  std::chrono::milliseconds poll_interval{1000};
  std::chrono::milliseconds fair_window{2000};
  std::chrono::milliseconds notify_gap_min{5}, notify_gap_max{250};
  std::chrono::milliseconds contention_min{20};  // due now but not claimed: look again after this, doubling
  std::vector<std::chrono::milliseconds> repolls{std::chrono::milliseconds(5), std::chrono::milliseconds(25)};
  bool once = false;  // --once: no waiting, done when nothing is due
  std::chrono::milliseconds record_interval{5};
  int record_batch = 256;
};

// What the loop holds right now.
struct Load {
  int in_flight = 0;                        // requests on the wire
  int queued = 0;                           // claimed, waiting for a free slot
  int unrecorded = 0;                       // results not yet recorded (collected or in the recorder)
  size_t body_bytes = 0;                    // bodies held (queued and on the wire)
  std::map<int64_t, int> per_subscription;  // requests on the wire per subscription
  std::map<int64_t, int> queued_per_subscription;
};

enum class ClaimReason { kWanted, kNotify, kRepoll, kPoll, kDue };
const char* ClaimReasonName(ClaimReason r);

struct ClaimPlan {
  int count = 0;
  std::vector<int64_t> skip;  // subscriptions at their fair share
  ClaimReason reason = ClaimReason::kWanted;
};

class ClaimPolicy {
 public:
  using Clock = std::chrono::steady_clock;
  using Time = Clock::time_point;
  explicit ClaimPolicy(ClaimPolicyOptions o);

  // ---- events
  void OnConnected(Time now);  // a (new) connection: look at once; not declared waiting on it
  void OnNotify(Time now);
  void OnRecorded();  // a record finished: our own results freed room
  // A claim made per `plan` returned rows for these subscriptions (one entry
  // per row) whose bodies total body_bytes. Returns true if the loop should
  // ask webhooks.next_due() (the claim came back empty) and pass the answer to OnNextDue.
  bool OnClaimed(Time now, const ClaimPlan& plan, const std::vector<int64_t>& subscriptions,
                 size_t body_bytes, const Load& load);
  void OnNextDue(Time now, std::optional<double> due_in_seconds, const Load& load);
  void OnClaimFailed(Time now, std::chrono::milliseconds retry_in);
  void OnWaitingDeclared(Time now, bool waiting);
  // webhooks.worker_waiting is missing (an older extension): never declare.
  void DisableWaiting() { waiting_disabled_ = true; }

  // ---- decisions
  // A claim to make now, or nullopt.
  std::optional<ClaimPlan> Plan(Time now, const Load& load) const;
  // The waiting state to declare now (differs from what was declared), or nullopt.
  std::optional<bool> WaitingChange() const;
  // When the loop should look again at the latest (it may wake earlier).
  Time WakeAt(Time now, const Load& load) const;
  // --once: nothing of ours left and nothing due.
  bool done() const { return done_; }
  bool waiting_declared() const { return declared_waiting_; }

  // The fair-share cap of a subscription given `active` subscriptions with work.
  int FairShare(int active) const;
  // The cap now: no subscription gets more requests on the wire (the loop
  // leaves its queued messages waiting).
  int Cap(Time now, const Load& load) const;
  // Subscriptions at their fair share now.
  std::vector<int64_t> Saturated(Time now, const Load& load) const;
  // Room for a claim now (0: none); stuck: requests on the wire of
  // subscriptions at their share (they may not turn over for a timeout).
  int Room(const Load& load, int stuck = 0) const;
  // Requests on the wire of subscriptions at their cap (alone or not).
  int Stuck(Time now, const Load& load) const;

 private:
  std::optional<ClaimReason> Trigger(Time now) const;

  ClaimPolicyOptions o_;
  bool want_ = true;
  bool claim_after_record_ = false;
  bool notify_pending_ = false;
  Time notify_hold_until_{};
  std::chrono::milliseconds notify_gap_{0};
  Time next_poll_at_{};
  std::optional<Time> next_due_at_;
  std::chrono::milliseconds contention_{0};
  Time retry_at_{};  // after a failed claim
  std::optional<Time> repoll_at_;
  Time declared_at_{};
  size_t repoll_index_ = 0;
  bool want_waiting_ = false;
  bool declared_waiting_ = false;
  bool waiting_disabled_ = false;
  bool done_ = false;
  int empty_due_now_ = 0;         // --once: empty claims in a row while work was due
  size_t body_estimate_ = 0;      // mean body size of the last non-empty claim
  std::map<int64_t, Time> seen_;  // subscription -> last claimed
};

// Whether collected results should go to the recorder now: at once when the
// recorder is idle and the pipe is short (at least as many results waiting as
// requests still out: no point waiting for a timer), when the recorder is
// busy anyway (they join its next record), when --record-batch are waiting,
// or when the oldest waited --record-interval.
bool RecordNow(std::chrono::steady_clock::time_point now, int collected,
               std::chrono::steady_clock::time_point oldest, int in_flight, bool recorder_busy,
               const ClaimPolicyOptions& o);

}  // namespace webhooks

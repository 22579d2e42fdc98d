// ClaimPolicy with a fake clock: when the loop claims, how many, whom it
// skips, when it declares itself waiting, and how NOTIFY floods coalesce.
#include "claim_policy.h"

#include <gtest/gtest.h>

namespace webhooks {
namespace {

using namespace std::chrono_literals;
using Time = ClaimPolicy::Time;

ClaimPolicyOptions Opts(int concurrency = 32, int batch = 32) {
  ClaimPolicyOptions o;
  o.concurrency = concurrency;
  o.batch = batch;
  return o;
}

Load Busy(int in_flight, std::map<int64_t, int> per_sub = {}, int unrecorded = 0) {
  Load l;
  l.in_flight = in_flight;
  l.unrecorded = unrecorded;
  l.per_subscription = std::move(per_sub);
  return l;
}

// Runs a claim that returns `got` rows of subscription `sub`.
bool Claimed(ClaimPolicy& p, Time now, const ClaimPlan& plan, int got, int64_t sub = 1,
             const Load& load = {}) {
  return p.OnClaimed(now, plan, std::vector<int64_t>(size_t(got), sub), size_t(got) * 200, load);
}

TEST(ClaimPolicy, ClaimsAtOnceAfterConnectingAndRefillsBeforeThePipeRunsDry) {
  ClaimPolicy p(Opts(32, 32));
  Time t0{};
  p.OnConnected(t0);
  auto plan = p.Plan(t0, Busy(0));
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->count, 32);
  EXPECT_TRUE(plan->skip.empty());
  Claimed(p, t0, *plan, 32);
  // Full pipe: no room.
  EXPECT_FALSE(p.Plan(t0, Busy(32, {{1, 32}})));
  EXPECT_FALSE(p.Plan(t0, Busy(17, {{1, 17}})));
  // Below concurrency - batch/2 = 16: claim the next batch while these are on the wire.
  auto next = p.Plan(t0 + 1ms, Busy(15, {{1, 15}}, 17));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->count, 32);  // a whole batch: what the wire cannot take yet waits in the queue
  Load queued = Busy(15, {{1, 15}}, 17);
  queued.queued = 32;
  EXPECT_FALSE(p.Plan(t0 + 1ms, queued)) << "enough waiting locally";
  // Results waiting for the recorder count too, up to one batch on top of a full wire.
  auto limited = p.Plan(t0 + 1ms, Busy(10, {{1, 10}}, 50));
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->count, 4);
  EXPECT_FALSE(p.Plan(t0 + 1ms, Busy(10, {{1, 10}}, 54)));
}

TEST(ClaimPolicy, AloneASubscriptionKeepsAReserveFree) {
  ClaimPolicy p(Opts(32, 32));
  EXPECT_EQ(p.FairShare(1), 28);  // all but concurrency/8
  EXPECT_EQ(p.FairShare(2), 16);
  EXPECT_EQ(p.FairShare(4), 8);
  EXPECT_EQ(p.FairShare(100), 1);
  ClaimPolicy tiny(Opts(1, 1));
  EXPECT_EQ(tiny.FairShare(1), 1);
  EXPECT_EQ(tiny.FairShare(3), 1);
}

TEST(ClaimPolicy, AHangingSubscriptionIsSkippedAtItsFairShare) {
  ClaimPolicy p(Opts(32, 8));
  Time t0{};
  p.OnConnected(t0);
  // Subscription 1 (hanging) alone holds 28 requests: alone, its cap is all but the reserve.
  EXPECT_EQ(p.Cap(t0, Busy(28, {{1, 28}})), 28);
  auto plan = p.Plan(t0, Busy(28, {{1, 28}}));
  ASSERT_TRUE(plan) << "the reserve is there for the others";
  EXPECT_TRUE(plan->skip.empty()) << "alone: nothing to skip it for";
  // Subscription 2 shows up in the claim: now each may hold 16, and 1 is skipped.
  Claimed(p, t0, *plan, plan->count, 2);
  EXPECT_EQ(p.Cap(t0, Busy(28, {{1, 24}, {2, 4}})), 16);
  EXPECT_FALSE(p.Plan(t0 + 1ms, Busy(28, {{1, 24}, {2, 4}})))
      << "of the 8 slots 1 leaves, half are busy: wait for a bigger claim";
  auto next = p.Plan(t0 + 1ms, Busy(27, {{1, 24}, {2, 3}}));
  ASSERT_TRUE(next) << "1 holds its slots for a whole timeout: refill the rest by what turns over";
  EXPECT_EQ(next->count, 8);
  EXPECT_EQ(next->skip, std::vector<int64_t>{1});
  EXPECT_FALSE(p.Plan(t0 + 1ms, Busy(32, {{1, 24}, {2, 8}})));
  // Queued messages count towards the share too.
  Load queued = Busy(20, {{1, 12}, {2, 8}});
  queued.queued = 4;
  queued.queued_per_subscription = {{1, 4}};
  EXPECT_EQ(p.Saturated(t0 + 2ms, queued), std::vector<int64_t>{1});
  // Once 1 is below its share it may claim again.
  auto after = p.Plan(t0 + 3ms, Busy(16, {{1, 10}, {2, 6}}));
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->skip.empty());
  // Subscription 2 not seen for the fair window: 1 is alone again.
  EXPECT_TRUE(p.Saturated(t0 + 3s, Busy(20, {{1, 20}})).empty());
}

TEST(ClaimPolicy, EmptyClaimDeclaresWaitingClaimsOnceMoreThenRepollsThenPollsSlowly) {
  auto o = Opts();
  o.poll_interval = 1000ms;
  ClaimPolicy p(o);
  Time t0{};
  p.OnConnected(t0);
  EXPECT_FALSE(p.WaitingChange());
  auto plan = p.Plan(t0, Busy(0));
  ASSERT_TRUE(plan);
  EXPECT_TRUE(Claimed(p, t0, *plan, 0)) << "empty: ask next_due";
  p.OnNextDue(t0, std::nullopt, Busy(0));
  ASSERT_EQ(p.WaitingChange(), std::optional<bool>(true));
  EXPECT_EQ(p.WakeAt(t0, Busy(0)), t0) << "declared at once, not after the fallback poll";
  p.OnWaitingDeclared(t0, true);
  EXPECT_FALSE(p.WaitingChange());
  // Once more, right after declaring (closes the race with a publisher).
  auto again = p.Plan(t0, Busy(0));
  ASSERT_TRUE(again);
  Claimed(p, t0, *again, 0);
  p.OnNextDue(t0, std::nullopt, Busy(0));
  // Re-polls at +5 ms and +25 ms, then the fallback poll.
  EXPECT_FALSE(p.Plan(t0 + 4ms, Busy(0)));
  EXPECT_EQ(p.WakeAt(t0 + 1ms, Busy(0)), t0 + 5ms);
  auto r1 = p.Plan(t0 + 5ms, Busy(0));
  ASSERT_TRUE(r1);
  EXPECT_EQ(r1->reason, ClaimReason::kRepoll);
  Claimed(p, t0 + 5ms, *r1, 0);
  EXPECT_FALSE(p.Plan(t0 + 24ms, Busy(0)));
  auto r2 = p.Plan(t0 + 25ms, Busy(0));
  ASSERT_TRUE(r2);
  Claimed(p, t0 + 25ms, *r2, 0);
  EXPECT_FALSE(p.Plan(t0 + 500ms, Busy(0)));
  EXPECT_EQ(p.WakeAt(t0 + 500ms, Busy(0)), t0 + 1025ms);
  auto poll = p.Plan(t0 + 1025ms, Busy(0));
  ASSERT_TRUE(poll);
  EXPECT_EQ(poll->reason, ClaimReason::kPoll);
  // A full claim declares the worker busy again.
  Claimed(p, t0 + 1025ms, *poll, poll->count);
  EXPECT_EQ(p.WaitingChange(), std::optional<bool>(false));
  // A short one does not (a trickle: stay waiting, keep the NOTIFYs coming).
  p.OnWaitingDeclared(t0 + 1026ms, true);
  auto more = p.Plan(t0 + 1026ms, Busy(0));
  ASSERT_TRUE(more);
  Claimed(p, t0 + 1026ms, *more, 1);
  EXPECT_FALSE(p.WaitingChange());
}

TEST(ClaimPolicy, NotifyFloodWithNothingDueIsCoalesced) {
  ClaimPolicy p(Opts());
  Time t{};
  p.OnConnected(t);
  auto first = p.Plan(t, Busy(0));
  Claimed(p, t, *first, 0);
  p.OnNextDue(t, std::nullopt, Busy(0));
  p.OnWaitingDeclared(t, true);
  auto once_more = p.Plan(t, Busy(0));
  Claimed(p, t, *once_more, 0);
  // 10 s of NOTIFY every 100 µs, nothing ever due.
  int claims = 0;
  for (int i = 0; i < 100'000; ++i) {
    t += 100us;
    p.OnNotify(t);
    if (auto plan = p.Plan(t, Busy(0))) {
      ++claims;
      if (Claimed(p, t, *plan, 0)) p.OnNextDue(t, std::nullopt, Busy(0));
    }
  }
  // Gap doubling to 250 ms: ~40 in 10 s (plus the fallback polls), not 100,000.
  EXPECT_LE(claims, 60);
  EXPECT_GE(claims, 30) << "NOTIFYs still wake it, a few times a second";
  // Work arrives: the next NOTIFY-triggered claim finds it and the gap resets.
  t += 300ms;
  p.OnNotify(t);
  auto plan = p.Plan(t, Busy(0));
  ASSERT_TRUE(plan);
  Claimed(p, t, *plan, 1);
  EXPECT_FALSE(p.Plan(t, Busy(1, {{1, 1}}))) << "short claim of one subscription: nothing more due now";
  t += 1ms;
  p.OnNotify(t);
  EXPECT_TRUE(p.Plan(t, Busy(1, {{1, 1}}))) << "a NOTIFY right after real work is not held back";
}

TEST(ClaimPolicy, ShortClaimOfSeveralSubscriptionsLooksAgainAtOnce) {
  ClaimPolicy p(Opts(32, 32));
  Time t{};
  p.OnConnected(t);
  auto plan = p.Plan(t, Busy(0));
  ASSERT_TRUE(plan);
  // 16 for one subscription (its share), 3 for another that had no more.
  std::vector<int64_t> subs(16, 1);
  subs.insert(subs.end(), 3, 2);
  EXPECT_FALSE(p.OnClaimed(t, *plan, subs, 19 * 200, Busy(19, {{1, 16}, {2, 3}})));
  EXPECT_TRUE(p.Plan(t, Busy(19, {{1, 16}, {2, 3}}))) << "subscription 1 may have more";
  EXPECT_FALSE(p.WaitingChange());
}

TEST(ClaimPolicy, ByteBudgetStopsClaimsAndSizesThemByTheLastBodies) {
  auto o = Opts(64, 32);
  o.byte_budget = 1'000'000;
  ClaimPolicy p(o);
  Time t{};
  p.OnConnected(t);
  Load l = Busy(0);
  auto plan = p.Plan(t, l);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->count, 32);  // nothing known about sizes yet
  p.OnClaimed(t, *plan, std::vector<int64_t>(4, 1), 4 * 300'000, l);
  p.OnNotify(t);  // more work published
  Load held = Busy(4, {{1, 4}});
  held.body_bytes = 1'200'000;
  EXPECT_FALSE(p.Plan(t + 1ms, held)) << "over budget: no claim";
  held.body_bytes = 300'000;
  auto small = p.Plan(t + 2ms, held);
  ASSERT_TRUE(small);
  EXPECT_EQ(small->count, 3);  // 700,000 left at ~300,000 each, rounded up
}

TEST(ClaimPolicy, EmptyClaimWithWorkDueLooksAgainLessOftenEachTime) {
  ClaimPolicy p(Opts());
  Time t{};
  p.OnConnected(t);
  std::vector<Time> at;
  for (int i = 0; i < 6; ++i) {
    auto plan = p.Plan(t, Busy(0));
    ASSERT_TRUE(plan) << i;
    at.push_back(t);
    if (Claimed(p, t, *plan, 0)) p.OnNextDue(t, -0.5, Busy(0));
    if (auto w = p.WaitingChange()) p.OnWaitingDeclared(t, *w);
    t = p.WakeAt(t, Busy(0));
  }
  // after the declare-and-claim-again: 5 ms re-poll, then 20, 40, 80 ms … (contention back-off)
  EXPECT_GE(at.back() - at.front(), 100ms);
}

TEST(ClaimPolicy, OnceIsDoneWhenNothingIsDueAndNothingHeld) {
  auto o = Opts();
  o.once = true;
  ClaimPolicy p(o);
  Time t{};
  p.OnConnected(t);
  auto plan = p.Plan(t, Busy(0));
  Claimed(p, t, *plan, 0, 1, Busy(2, {{1, 2}}));
  p.OnNextDue(t, std::nullopt, Busy(2, {{1, 2}}));
  EXPECT_FALSE(p.done()) << "results still to come";
  EXPECT_FALSE(p.WaitingChange()) << "--once never declares itself waiting";
  p.OnRecorded();
  auto again = p.Plan(t + 1ms, Busy(0));
  ASSERT_TRUE(again) << "a record finished: look again";
  Claimed(p, t + 1ms, *again, 0);
  p.OnNextDue(t + 1ms, 30.0, Busy(0));
  EXPECT_TRUE(p.done());
}

TEST(RecordNow, NoTimerWhenThePipeIsShort) {
  ClaimPolicyOptions o;
  o.record_interval = 5ms;
  o.record_batch = 256;
  Time t{};
  EXPECT_FALSE(RecordNow(t, 0, t, 0, false, o));
  EXPECT_TRUE(RecordNow(t, 3, t, 0, false, o)) << "nothing else on the wire";
  EXPECT_TRUE(RecordNow(t, 16, t, 16, false, o)) << "half the pipe is back";
  EXPECT_FALSE(RecordNow(t + 1ms, 3, t, 29, false, o)) << "most still out: wait a little for them";
  EXPECT_TRUE(RecordNow(t + 5ms, 3, t, 29, false, o));
  EXPECT_TRUE(RecordNow(t, 3, t, 29, true, o)) << "recorder busy: join its next record";
  EXPECT_TRUE(RecordNow(t, 256, t, 1000, false, o));
}

}  // namespace
}  // namespace webhooks

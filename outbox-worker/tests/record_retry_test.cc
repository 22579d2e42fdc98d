// What the recorder does with a failed record: it keeps the results in
// every case and says when to try again; it stops only on what cannot heal.
#include <gtest/gtest.h>

#include "db.h"
#include "recorder.h"

namespace webhooks {
namespace {

using namespace std::chrono_literals;

TEST(RecordRetry, InDoubtIsSentAgainAsSoonAsReconnected) {
  // record is idempotent per (lease_token, message_id): a commit in doubt is simply retried.
  EXPECT_EQ(RecordRetryDelay(DbErrorKind::kInDoubt, true, 1), 0ms);
  EXPECT_EQ(RecordRetryDelay(DbErrorKind::kRetryable, true, 5), 0ms);
}

TEST(RecordRetry, ConnectionAliveBacksOff) {
  EXPECT_EQ(RecordRetryDelay(DbErrorKind::kRetryable, false, 1), 50ms);
  EXPECT_EQ(RecordRetryDelay(DbErrorKind::kRetryable, false, 2), 100ms);
  EXPECT_EQ(RecordRetryDelay(DbErrorKind::kRetryable, false, 30), 5000ms);
  EXPECT_EQ(RecordRetryDelay(DbErrorKind::kPermanent, false, 1), 1000ms);
  EXPECT_EQ(RecordRetryDelay(DbErrorKind::kPermanent, false, 30), 30'000ms);
  EXPECT_EQ(RecordRetryDelay(DbErrorKind::kInDoubt, false, 1), 50ms);
}

TEST(RecordRetry, ConfigErrorsStop) {
  EXPECT_FALSE(RecordRetryDelay(DbErrorKind::kConfig, false, 1).has_value());
  EXPECT_FALSE(RecordRetryDelay(DbErrorKind::kConfig, true, 1).has_value());
}

TEST(DbErrorClass, ErrorsThatCannotHeal) {
  for (const char* state : {"28P01", "28000", "3D000", "3F000", "42501", "42883", "42P01"})
    EXPECT_EQ(ClassifyDbError(state, "", false), DbErrorKind::kConfig) << state;
  for (const char* state : {"40001", "40P01", "08006", "57P01", "53300", "55P03"})
    EXPECT_EQ(ClassifyDbError(state, "", false), DbErrorKind::kRetryable) << state;
  EXPECT_EQ(ClassifyDbError("22008", "timestamp out of range", false), DbErrorKind::kPermanent);
  // libpq connection failures carry text only.
  EXPECT_EQ(ClassifyDbError("", "FATAL:  password authentication failed for user \"w\"", true),
            DbErrorKind::kConfig);
  EXPECT_EQ(ClassifyDbError("", "FATAL:  role \"nobody\" does not exist", true), DbErrorKind::kConfig);
  EXPECT_EQ(ClassifyDbError("", "FATAL:  database \"nope\" does not exist", true), DbErrorKind::kConfig);
  EXPECT_EQ(ClassifyDbError("", "FATAL:  no pg_hba.conf entry for host", true), DbErrorKind::kConfig);
  EXPECT_EQ(ClassifyDbError("", "could not connect to server: Connection refused", true),
            DbErrorKind::kRetryable);
  EXPECT_EQ(ClassifyDbError("", "FATAL:  the database system is starting up", true), DbErrorKind::kRetryable);
}

}  // namespace
}  // namespace webhooks

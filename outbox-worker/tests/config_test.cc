#include "config.h"

#include <gtest/gtest.h>

#include <map>

namespace webhooks {
namespace {

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

ParseResult Parse(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  return ParseConfig(args, Env(std::move(env)));
}

TEST(Duration, Forms) {
  EXPECT_EQ(ParseDuration("250ms"), Millis(250));
  EXPECT_EQ(ParseDuration("30s"), Millis(30'000));
  EXPECT_EQ(ParseDuration("5m"), Millis(300'000));
  EXPECT_EQ(ParseDuration("5min"), Millis(300'000));
  EXPECT_EQ(ParseDuration("1h"), Millis(3'600'000));
  EXPECT_EQ(ParseDuration("1h30m"), Millis(5'400'000));
  EXPECT_EQ(ParseDuration("0"), Millis(0));
  for (const char* bad : {"", "5", "s", "1.5s", "-1s", "10 s", "3d", "1sms", "9999999999s"})
    EXPECT_FALSE(ParseDuration(bad).has_value()) << bad;
  EXPECT_EQ(FormatDuration(Millis(250)), "250ms");
  EXPECT_EQ(FormatDuration(Millis(90'000)), "90s");
  EXPECT_EQ(FormatDuration(Millis(3'600'000)), "1h");
}

TEST(Config, Defaults) {
  auto r = Parse({});
  ASSERT_EQ(r.action, ParseResult::Action::kRun) << r.message;
  EXPECT_EQ(r.config.database_url, "");
  EXPECT_EQ(r.config.concurrency, 64);
  EXPECT_EQ(r.config.batch_size, 32);
  EXPECT_EQ(r.config.lease, Millis(60'000));
  EXPECT_EQ(r.config.worker_id, DefaultWorkerId());
  EXPECT_NE(r.config.worker_id.find(':'), std::string::npos);
  EXPECT_FALSE(r.config.allow_private_networks);
  EXPECT_FALSE(r.config.once);
  EXPECT_EQ(r.config.poll_interval, Millis(1000));
}

TEST(Config, Flags) {
  auto r = Parse({"--concurrency", "256", "--batch-size=100", "--lease", "2s", "--worker-id", "w1",
                  "--metrics-listen", "127.0.0.1:9187", "--allow-private-networks", "--once",
                  "--database-url", "dbname=x", "--grace-period", "0s", "--log-level", "DEBUG"});
  ASSERT_EQ(r.action, ParseResult::Action::kRun) << r.message;
  EXPECT_EQ(r.config.concurrency, 256);
  EXPECT_EQ(r.config.batch_size, 100);
  EXPECT_EQ(r.config.lease, Millis(2000));
  EXPECT_EQ(r.config.worker_id, "w1");
  EXPECT_EQ(r.config.metrics_listen, "127.0.0.1:9187");
  EXPECT_TRUE(r.config.allow_private_networks);
  EXPECT_TRUE(r.config.once);
  EXPECT_EQ(r.config.database_url, "dbname=x");
  EXPECT_EQ(r.config.grace_period, Millis(0));
  EXPECT_EQ(r.config.log_level, "debug");
}

TEST(Config, DatabaseUrlPrecedence) {
  EXPECT_EQ(Parse({}, {{"DATABASE_URL", "postgres://env/db"}}).config.database_url, "postgres://env/db");
  EXPECT_EQ(Parse({"--database-url", "postgres://flag/db"}, {{"DATABASE_URL", "postgres://env/db"}})
                .config.database_url,
            "postgres://flag/db");
  // Neither: empty conninfo, libpq reads PGHOST, PGDATABASE, …
  EXPECT_EQ(Parse({}, {{"PGDATABASE", "x"}}).config.database_url, "");
}

TEST(Config, EnvironmentAndFlagWins) {
  auto r = Parse({"--batch-size", "7"}, {{"WEBHOOKS_CONCURRENCY", "9"},
                                         {"WEBHOOKS_BATCH_SIZE", "8"},
                                         {"WEBHOOKS_ALLOW_PRIVATE_NETWORKS", "yes"}});
  ASSERT_EQ(r.action, ParseResult::Action::kRun) << r.message;
  EXPECT_EQ(r.config.concurrency, 9);
  EXPECT_EQ(r.config.batch_size, 7);
  EXPECT_TRUE(r.config.allow_private_networks);
}

TEST(Config, HelpAndVersion) {
  auto h = Parse({"--concurrency", "5", "--help"});
  EXPECT_EQ(h.action, ParseResult::Action::kHelp);
  for (const char* flag : {"--database-url", "--concurrency", "--batch-size", "--lease", "--worker-id",
                           "--metrics-listen", "--allow-private-networks", "--once", "--version"})
    EXPECT_NE(h.message.find(flag), std::string::npos) << flag;
  auto v = Parse({"--version"});
  EXPECT_EQ(v.action, ParseResult::Action::kVersion);
  EXPECT_EQ(v.message, std::string("webhooks-worker ") + WEBHOOKS_WORKER_VERSION);
}

struct BadInput {
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  const char* expect;  // part of the message
};

TEST(Config, ClearErrorForEveryBadInput) {
  const BadInput cases[] = {
      {{"--concurrency", "0"}, {}, "--concurrency: must be between 1 and 10000"},
      {{"--concurrency", "ten"}, {}, "invalid value 'ten' for --concurrency: expected a whole number"},
      {{"--concurrency", "5x"}, {}, "expected a whole number"},
      {{"--concurrency"}, {}, "option '--concurrency' needs a value"},
      {{"--batch-size", "100000"}, {}, "--batch-size: must be between 1 and 1000"},
      {{"--lease", "30"}, {}, "expected a duration such as 250ms, 30s, 5m, 1h"},
      {{"--lease", "10ms"}, {}, "--lease: must be between 1s and 24h"},
      {{"--metrics-listen", "9187"}, {}, "expected HOST:PORT"},
      {{"--metrics-listen", "localhost:99999"}, {}, "expected HOST:PORT"},
      {{"--worker-id", ""}, {}, "--worker-id: must not be empty"},
      {{"--once=maybe"}, {}, "expected true or false"},
      {{"--log-level", "loud"}, {}, "expected trace, debug, info, warn or error"},
      {{"--bogus"}, {}, "unknown option '--bogus'"},
      {{"stray"}, {}, "unexpected argument 'stray'"},
      {{"--once", "--once"}, {}, "given twice"},
      {{}, {{"WEBHOOKS_CONCURRENCY", "-3"}}, "environment variable WEBHOOKS_CONCURRENCY: invalid value '-3'"},
      {{}, {{"WEBHOOKS_LEASE", "forever"}}, "environment variable WEBHOOKS_LEASE"},
  };
  for (const auto& c : cases) {
    auto r = Parse(c.args, c.env);
    EXPECT_EQ(r.action, ParseResult::Action::kError) << c.expect;
    EXPECT_NE(r.message.find(c.expect), std::string::npos) << "got: " << r.message;
  }
}

TEST(Config, HostPort) {
  EXPECT_EQ(ParseHostPort("127.0.0.1:9187"), std::make_pair(std::string("127.0.0.1"), 9187));
  EXPECT_EQ(ParseHostPort("[::1]:80"), std::make_pair(std::string("::1"), 80));
  EXPECT_EQ(ParseHostPort("localhost:0"), std::make_pair(std::string("localhost"), 0));
  EXPECT_FALSE(ParseHostPort("::1:80").has_value());
  EXPECT_FALSE(ParseHostPort(":80").has_value());
  EXPECT_FALSE(ParseHostPort("host:").has_value());
}

}  // namespace
}  // namespace webhooks

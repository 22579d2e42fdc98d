#include "signing.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

namespace webhooks {
namespace {

std::string TestdataPath(const std::string& name) {
  const char* dir = std::getenv("WEBHOOKS_TESTDATA_DIR");
  return std::string(dir ? dir : WEBHOOKS_TESTDATA_DIR) + "/" + name;
}

TEST(Signing, StandardWebhooksVectors) {
  std::ifstream in(TestdataPath("standard-webhooks-vectors.json"));
  ASSERT_TRUE(in) << "cannot open " << TestdataPath("standard-webhooks-vectors.json");
  auto doc = nlohmann::json::parse(in);
  ASSERT_FALSE(doc["vectors"].empty());
  for (const auto& v : doc["vectors"]) {
    auto sig = Sign(v["secret"].get<std::string>(), v["id"].get<std::string>(), v["timestamp"].get<int64_t>(),
                    v["body"].get<std::string>());
    ASSERT_TRUE(sig.has_value());
    EXPECT_EQ(*sig, v["signature"].get<std::string>()) << "id " << v["id"];
  }
}

TEST(Signing, SecretWithoutPrefixIsAccepted) {
  EXPECT_EQ(Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "m", 1, "{}"),
            Sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "m", 1, "{}"));
}

TEST(Signing, UnusableSecretGivesNothing) {
  EXPECT_FALSE(Sign("whsec_", "m", 1, "{}").has_value());
  EXPECT_FALSE(Sign("whsec_not*base64", "m", 1, "{}").has_value());
}

TEST(Signing, HeaderHasOneSignaturePerSecretSpaceSeparated) {
  std::vector<std::string> secrets = {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                      "whsec_plJ3nmyCDGBKInavdOK15jsl"};
  std::string h = SignatureHeader(secrets, "msg_1", 1700000000, "{\"a\":1}");
  auto a = *Sign(secrets[0], "msg_1", 1700000000, "{\"a\":1}");
  auto b = *Sign(secrets[1], "msg_1", 1700000000, "{\"a\":1}");
  EXPECT_EQ(h, a + " " + b);
}

TEST(Signing, HeaderSkipsAndCountsUnusableSecrets) {
  int skipped = 0;
  std::string h = SignatureHeader({"whsec_%%%", "whsec_plJ3nmyCDGBKInavdOK15jsl"}, "m", 5, "x", &skipped);
  EXPECT_EQ(skipped, 1);
  EXPECT_EQ(h, *Sign("whsec_plJ3nmyCDGBKInavdOK15jsl", "m", 5, "x"));
}

TEST(Base64, RoundTrip) {
  for (std::string s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar",
                                                std::string("\0\xff\x10", 3)}) {
    auto enc = Base64Encode(s);
    EXPECT_EQ(Base64Decode(enc), s) << enc;
  }
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Decode("Zm8"), "fo");
  EXPECT_FALSE(Base64Decode("Zm9v!").has_value());
  EXPECT_FALSE(Base64Decode("Z").has_value());
}

}  // namespace
}  // namespace webhooks

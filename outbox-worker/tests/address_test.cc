// The classifier only: no test here (or anywhere) opens a connection to a
// private-range address.
#include "address.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace webhooks {
namespace {

struct Case {
  const char* address;
  AddressClass expected;
};

TEST(Address, Classification) {
  const Case cases[] = {
      {"127.0.0.1", AddressClass::kLoopback},
      {"127.255.255.254", AddressClass::kLoopback},
      {"10.0.0.1", AddressClass::kPrivate},
      {"172.16.0.1", AddressClass::kPrivate},
      {"172.31.255.255", AddressClass::kPrivate},
      {"172.32.0.1", AddressClass::kPublic},
      {"192.168.1.1", AddressClass::kPrivate},
      {"169.254.169.254", AddressClass::kLinkLocal},
      {"169.254.0.1", AddressClass::kLinkLocal},
      {"100.64.0.1", AddressClass::kCgnat},
      {"100.127.255.255", AddressClass::kCgnat},
      {"100.128.0.1", AddressClass::kPublic},
      {"224.0.0.1", AddressClass::kMulticast},
      {"239.255.255.250", AddressClass::kMulticast},
      {"0.0.0.0", AddressClass::kUnspecified},
      {"0.1.2.3", AddressClass::kUnspecified},
      {"255.255.255.255", AddressClass::kBroadcast},
      {"240.0.0.1", AddressClass::kReserved},
      {"8.8.8.8", AddressClass::kPublic},
      {"93.184.216.34", AddressClass::kPublic},
      {"::1", AddressClass::kLoopback},
      {"::", AddressClass::kUnspecified},
      {"fc00::1", AddressClass::kPrivate},
      {"fd12:3456:789a::1", AddressClass::kPrivate},
      {"fe80::1", AddressClass::kLinkLocal},
      {"fe80::1%eth0", AddressClass::kLinkLocal},
      {"febf::1", AddressClass::kLinkLocal},
      {"ff02::1", AddressClass::kMulticast},
      {"::ffff:127.0.0.1", AddressClass::kLoopback},
      {"::ffff:7f00:1", AddressClass::kLoopback},
      {"::ffff:10.1.2.3", AddressClass::kPrivate},
      {"::ffff:169.254.169.254", AddressClass::kLinkLocal},
      {"::ffff:a9fe:a9fe", AddressClass::kLinkLocal},
      {"::ffff:8.8.8.8", AddressClass::kPublic},
      {"::ffff:0:10.0.0.1", AddressClass::kPrivate},
      {"::127.0.0.1", AddressClass::kLoopback},
      {"64:ff9b::169.254.169.254", AddressClass::kLinkLocal},
      {"64:ff9b::8.8.8.8", AddressClass::kPublic},
      {"2002:7f00:1::", AddressClass::kLoopback},
      {"2002:0a00:0001::1", AddressClass::kPrivate},
      {"[::1]", AddressClass::kLoopback},
      {"2606:4700:4700::1111", AddressClass::kPublic},
      {"2001:db8::1", AddressClass::kReserved},
      {"localhost", AddressClass::kInvalid},
      {"1.2.3", AddressClass::kInvalid},
      {"", AddressClass::kInvalid},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ClassifyAddress(c.address), c.expected)
        << c.address << " classified as " << AddressClassName(ClassifyAddress(c.address));
  }
}

sockaddr_in V4(const char* text) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  inet_pton(AF_INET, text, &a.sin_addr);
  return a;
}

sockaddr_in6 V6(const char* text) {
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  inet_pton(AF_INET6, text, &a.sin6_addr);
  return a;
}

TEST(Address, SocketAddresses) {
  auto lo = V4("127.0.0.1");
  auto meta = V4("169.254.169.254");
  auto pub = V4("1.1.1.1");
  auto mapped = V6("::ffff:192.168.0.1");
  EXPECT_EQ(ClassifyAddress(reinterpret_cast<sockaddr*>(&lo)), AddressClass::kLoopback);
  EXPECT_EQ(ClassifyAddress(reinterpret_cast<sockaddr*>(&meta)), AddressClass::kLinkLocal);
  EXPECT_EQ(ClassifyAddress(reinterpret_cast<sockaddr*>(&pub)), AddressClass::kPublic);
  EXPECT_EQ(ClassifyAddress(reinterpret_cast<sockaddr*>(&mapped)), AddressClass::kPrivate);
  EXPECT_EQ(AddressToString(reinterpret_cast<sockaddr*>(&mapped)), "::ffff:192.168.0.1");
}

TEST(Address, Policy) {
  auto lo = V4("127.0.0.1");
  auto pub = V4("1.1.1.1");
  auto ula = V6("fd00::5");
  auto* lo_sa = reinterpret_cast<sockaddr*>(&lo);
  auto why = RefuseAddress(lo_sa, false);
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("127.0.0.1 is a loopback address"), std::string::npos) << *why;
  EXPECT_FALSE(RefuseAddress(lo_sa, true).has_value());
  EXPECT_FALSE(RefuseAddress(reinterpret_cast<sockaddr*>(&pub), false).has_value());
  EXPECT_TRUE(RefuseAddress(reinterpret_cast<sockaddr*>(&ula), false).has_value());
  sockaddr unix_sa{};
  unix_sa.sa_family = AF_UNIX;
  EXPECT_TRUE(RefuseAddress(&unix_sa, true).has_value());
}

}  // namespace
}  // namespace webhooks

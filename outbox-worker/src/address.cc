#include "address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <cstring>

namespace webhooks {
namespace {

AddressClass ClassifyV4(uint32_t a) {  // host byte order
  auto in = [a](uint32_t net, int bits) {
    uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
    return (a & mask) == net;
  };
  if (a == 0xFFFFFFFFu) return AddressClass::kBroadcast;
  if (in(0x00000000, 8)) return AddressClass::kUnspecified;  // 0.0.0.0/8 "this network"
  if (in(0x7F000000, 8)) return AddressClass::kLoopback;
  if (in(0x0A000000, 8) || in(0xAC100000, 12) || in(0xC0A80000, 16)) return AddressClass::kPrivate;
  if (in(0xA9FE0000, 16)) return AddressClass::kLinkLocal;
  if (in(0x64400000, 10)) return AddressClass::kCgnat;
  if (in(0xE0000000, 4)) return AddressClass::kMulticast;
  if (in(0xF0000000, 4)) return AddressClass::kReserved;
  // IETF protocol assignments, benchmarking, documentation nets.
  if (in(0xC0000000, 24) || in(0xC6120000, 15) || in(0xC0000200, 24) || in(0xC6336400, 24) ||
      in(0xCB007100, 24))
    return AddressClass::kReserved;
  return AddressClass::kPublic;
}

uint32_t V4At(const std::array<uint8_t, 16>& b, int off) {
  return (uint32_t{b[off]} << 24) | (uint32_t{b[off + 1]} << 16) | (uint32_t{b[off + 2]} << 8) |
         uint32_t{b[off + 3]};
}

AddressClass ClassifyV6(const std::array<uint8_t, 16>& b) {
  auto zeros = [&b](int from, int to) {
    for (int i = from; i < to; ++i)
      if (b[i] != 0) return false;
    return true;
  };
  if (zeros(0, 16)) return AddressClass::kUnspecified;
  if (zeros(0, 15) && b[15] == 1) return AddressClass::kLoopback;
  // ::ffff:a.b.c.d (mapped), ::ffff:0:a.b.c.d (translated), ::a.b.c.d (compatible)
  if (zeros(0, 10) && b[10] == 0xff && b[11] == 0xff) return ClassifyV4(V4At(b, 12));
  if (zeros(0, 8) && b[8] == 0xff && b[9] == 0xff && b[10] == 0 && b[11] == 0) return ClassifyV4(V4At(b, 12));
  if (zeros(0, 12)) return ClassifyV4(V4At(b, 12));
  // NAT64 well-known prefix 64:ff9b::/96 and local-use 64:ff9b:1::/48.
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b) {
    if (zeros(4, 12)) return ClassifyV4(V4At(b, 12));
    if (b[4] == 0x00 && b[5] == 0x01) return AddressClass::kPrivate;
  }
  // 6to4 2002::/16 embeds an IPv4 address in bits 16..47.
  if (b[0] == 0x20 && b[1] == 0x02) {
    AddressClass inner = ClassifyV4(V4At(b, 2));
    if (inner != AddressClass::kPublic) return inner;
  }
  if (b[0] == 0xff) return AddressClass::kMulticast;
  if ((b[0] & 0xfe) == 0xfc) return AddressClass::kPrivate;                    // fc00::/7 ULA
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return AddressClass::kLinkLocal;  // fe80::/10
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)
    return AddressClass::kPrivate;  // fec0::/10 site-local (deprecated)
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
    return AddressClass::kReserved;                                 // 2001:db8::/32 documentation
  if (b[0] == 0x01 && zeros(1, 8)) return AddressClass::kReserved;  // 100::/64 discard
  return AddressClass::kPublic;
}

}  // namespace

std::string_view AddressClassName(AddressClass c) {
  switch (c) {
    case AddressClass::kPublic: return "public";
    case AddressClass::kLoopback: return "loopback";
    case AddressClass::kPrivate: return "private";
    case AddressClass::kLinkLocal: return "link-local";
    case AddressClass::kCgnat: return "carrier-grade NAT";
    case AddressClass::kMulticast: return "multicast";
    case AddressClass::kUnspecified: return "unspecified";
    case AddressClass::kBroadcast: return "broadcast";
    case AddressClass::kReserved: return "reserved";
    case AddressClass::kInvalid: return "invalid";
  }
  return "invalid";
}

AddressClass ClassifyAddress(std::string_view text) {
  std::string s(text);
  if (s.size() > 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  // Zone ids ("fe80::1%eth0") do not change the class.
  if (auto pct = s.find('%'); pct != std::string::npos) s.resize(pct);
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) return ClassifyV4(ntohl(v4.s_addr));
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::array<uint8_t, 16> b{};
    std::memcpy(b.data(), v6.s6_addr, 16);
    return ClassifyV6(b);
  }
  return AddressClass::kInvalid;
}

AddressClass ClassifyAddress(const sockaddr* sa) {
  if (sa == nullptr) return AddressClass::kInvalid;
  if (sa->sa_family == AF_INET) {
    sockaddr_in in{};
    std::memcpy(&in, sa, sizeof in);
    return ClassifyV4(ntohl(in.sin_addr.s_addr));
  }
  if (sa->sa_family == AF_INET6) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, sa, sizeof in6);
    std::array<uint8_t, 16> b{};
    std::memcpy(b.data(), in6.sin6_addr.s6_addr, 16);
    return ClassifyV6(b);
  }
  return AddressClass::kInvalid;
}

std::string AddressToString(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (sa == nullptr) return "?";
  if (sa->sa_family == AF_INET) {
    sockaddr_in in{};
    std::memcpy(&in, sa, sizeof in);
    inet_ntop(AF_INET, &in.sin_addr, buf, sizeof buf);
  } else if (sa->sa_family == AF_INET6) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, sa, sizeof in6);
    inet_ntop(AF_INET6, &in6.sin6_addr, buf, sizeof buf);
  } else {
    return "non-IP address";
  }
  return buf;
}

std::optional<std::string> RefuseAddress(const sockaddr* sa, bool allow_private_networks) {
  AddressClass c = ClassifyAddress(sa);
  if (c == AddressClass::kPublic) return std::nullopt;
  if (c == AddressClass::kInvalid)
    return "refused by SSRF guard: " + AddressToString(sa) + " is not an IP address";
  if (allow_private_networks) return std::nullopt;
  return "refused by SSRF guard: " + AddressToString(sa) + " is a " + std::string(AddressClassName(c)) +
         " address (start the worker with --allow-private-networks to allow it)";
}

}  // namespace webhooks

// address: the SSRF classifier. Pure; decides whether the worker may open a
// connection to an IP address. The http module asks it about the address a
// connection is actually about to use (after DNS), so there is no
// DNS-rebinding gap.
#pragma once

#include <optional>
#include <string>
#include <string_view>

struct sockaddr;

namespace webhooks {

enum class AddressClass {
  kPublic,
  kLoopback,     // 127/8, ::1
  kPrivate,      // RFC 1918, IPv6 ULA fc00::/7
  kLinkLocal,    // 169.254/16 (cloud metadata), fe80::/10
  kCgnat,        // 100.64/10
  kMulticast,    // 224/4, ff00::/8
  kUnspecified,  // 0/8, ::
  kBroadcast,    // 255.255.255.255
  kReserved,     // 240/4, other special-purpose blocks
  kInvalid,      // not an IP address
};

// Lower-case name of the class, for error messages and logs ("loopback").
std::string_view AddressClassName(AddressClass c);

// Classifies a textual IPv4 or IPv6 address ("10.0.0.1", "::ffff:10.0.0.1").
// IPv4-mapped, IPv4-compatible, NAT64 (64:ff9b::/96) and 6to4 addresses are
// classified by the IPv4 address they carry.
AddressClass ClassifyAddress(std::string_view text);

// Same for a socket address (AF_INET / AF_INET6); anything else is kInvalid.
AddressClass ClassifyAddress(const sockaddr* sa);

// Text form of a socket address, for messages ("127.0.0.1", "::1").
std::string AddressToString(const sockaddr* sa);

// The SSRF policy: nullopt when a connection may be made, otherwise why not
// ("127.0.0.1 is a loopback address").
std::optional<std::string> RefuseAddress(const sockaddr* sa, bool allow_private_networks);

}  // namespace webhooks

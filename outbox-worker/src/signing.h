// signing: Standard Webhooks v1 (https://www.standardwebhooks.com).
// Pure; HMAC-SHA256 from OpenSSL. The signed content is "<id>.<timestamp>.<body>",
// keyed with the base64-decoded part of the secret after "whsec_".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace webhooks {

std::string Base64Encode(std::string_view bytes);
// Standard alphabet, padding optional; nullopt on any other character.
std::optional<std::string> Base64Decode(std::string_view text);

// The key bytes of a secret ("whsec_<base64>", or bare base64);
// nullopt when it is not valid base64 or empty.
std::optional<std::string> SecretKey(std::string_view secret);

// "v1,<base64 HMAC-SHA256>"; nullopt when the secret is unusable.
std::optional<std::string> Sign(std::string_view secret, std::string_view id, int64_t timestamp,
                                std::string_view body);

// The webhook-signature header value: one "v1,…" per usable secret,
// space-separated, in the order given. Unusable secrets are skipped and
// counted in *skipped (never logged: they are secrets).
std::string SignatureHeader(const std::vector<std::string>& secrets, std::string_view id, int64_t timestamp,
                            std::string_view body, int* skipped = nullptr);

}  // namespace webhooks

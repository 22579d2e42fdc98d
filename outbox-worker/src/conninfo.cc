#include "conninfo.h"

#include <libpq-fe.h>

#include <cstring>
#include <string_view>

#include "logging.h"

namespace webhooks {
namespace {

// The password of a URI as written ("postgresql://user:pa%40ss@host/db" →
// "pa%40ss"), found by hand so it is known even when libpq rejects the URI.
std::string UriPasswordToken(std::string_view uri) {
  for (std::string_view scheme : {"postgresql://", "postgres://"}) {
    if (!uri.starts_with(scheme)) continue;
    std::string_view rest = uri.substr(scheme.size());
    std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
    auto at = authority.rfind('@');
    if (at == std::string_view::npos) return "";
    std::string_view userinfo = authority.substr(0, at);
    auto colon = userinfo.find(':');
    if (colon == std::string_view::npos) return "";
    return std::string(userinfo.substr(colon + 1));
  }
  return "";
}

}  // namespace

ConninfoCheck CheckConninfo(const std::string& conninfo) {
  ConninfoCheck c;
  if (conninfo.empty()) return c;
  if (std::string token = UriPasswordToken(conninfo); !token.empty()) c.passwords.push_back(token);
  char* err = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &err);
  if (options == nullptr) {
    c.ok = false;
    std::string message = err != nullptr ? err : "out of memory";
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    c.error = RedactQuoted(message);
    if (err != nullptr) PQfreemem(err);
  } else {
    for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
      if (o->val == nullptr || o->val[0] == '\0') continue;
      // The password, and whatever libpq itself would not show (dispchar "*", e.g. sslpassword).
      if (std::strcmp(o->keyword, "password") == 0 || (o->dispchar != nullptr && o->dispchar[0] == '*'))
        c.passwords.emplace_back(o->val);
    }
    PQconninfoFree(options);
  }
  c.secrets = c.passwords;
  c.secrets.push_back(conninfo);
  return c;
}

int HideSecretsInArgv(int argc, char** argv, const std::vector<std::string>& passwords) {
  int changed = 0;
  for (int i = 1; i < argc; ++i) {
    bool hit = false;
    for (const auto& s : passwords) {
      if (s.size() < kMinSecretLength) continue;
      for (char* p = std::strstr(argv[i], s.c_str()); p != nullptr;
           p = std::strstr(p + s.size(), s.c_str())) {
        std::memset(p, '*', s.size());
        hit = true;
      }
    }
    changed += hit;
  }
  return changed;
}

}  // namespace webhooks

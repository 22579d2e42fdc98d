// conninfo: looks at the database connection string before anything uses
// it, offline (libpq's PQconninfoParse: no connection is made). It finds
// what is secret in it, so the log can be scrubbed of it, and turns a
// malformed string into an error that does not echo it: libpq quotes the
// piece it did not understand, which may be the password or the whole URL.
// Uses libpq's C API only for parsing; db.cc remains the only libpqxx user.
#pragma once

#include <string>
#include <vector>

namespace webhooks {

struct ConninfoCheck {
  bool ok = true;
  std::string error;                   // when !ok: libpq's message, every quoted fragment redacted
  std::vector<std::string> passwords;  // its password (and key passphrase) as written and as decoded
  std::vector<std::string> secrets;    // passwords and the string itself: what the log must never show
};

// "" (libpq's PG* variables) is fine and has no secrets.
ConninfoCheck CheckConninfo(const std::string& conninfo);

// Overwrites with '*' every occurrence of a password in argv (the
// copy /proc/<pid>/cmdline shows to every local user). Returns how many
// arguments it changed.
int HideSecretsInArgv(int argc, char** argv, const std::vector<std::string>& passwords);

}  // namespace webhooks

#pragma once
// Long-term credentials for the TURN server (RFC 8489 §9.2, RFC 8656 §7.2): static users
// (--user NAME:PASS and a users file) with their keys derived once at load time, and TURN REST
// ephemeral credentials (draft-uberti-behave-turn-rest-00 §2.2: username "<expiry>[:<user>]",
// password base64(HMAC-SHA1(secret, username))) with several secrets for rotation. Both kinds
// may be configured at once; a static user of the same name wins.
//
// Reloading (SIGHUP) builds a new immutable UserStore and swaps the shared pointer; requests in
// flight keep the old one alive.
#include "crypto/hash.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rtc::turn {

struct UserEntry {
    std::string name;
    std::string password;
    bool operator==(const UserEntry&) const = default;
};

// "NAME:PASS", split at the first ':' (a password may contain ':'). Both parts non-empty.
std::optional<UserEntry> parse_user_spec(std::string_view text);

struct UsersFileError {
    std::size_t line = 0; // 1-based
    std::string message;
};

// A users file: one "name:password" per line; blank lines and lines starting with '#' (after
// leading whitespace) are ignored; surrounding whitespace and a trailing '\r' are trimmed.
// Appends to `out`; on the first bad line returns false and fills `error`.
bool parse_users_file(std::string_view text, std::vector<UserEntry>& out, UsersFileError& error);

// A key for MESSAGE-INTEGRITY (MD5, 16 bytes) or MESSAGE-INTEGRITY-SHA256 (SHA-256, 32 bytes).
struct LongTermKey {
    uint16_t algorithm = 0; // stun::kPasswordAlgorithmMd5 / kPasswordAlgorithmSha256
    uint8_t size = 0;
    std::array<uint8_t, 32> bytes{};
    std::span<const uint8_t> view() const { return std::span(bytes).first(size); }
    bool operator==(const LongTermKey&) const = default;
};
LongTermKey make_key(const crypto::Md5Digest& digest);
LongTermKey make_key(const crypto::Sha256Digest& digest);

struct UserKeys {
    std::string name;
    crypto::Md5Digest md5{};         // RFC 8489 §9.2.2
    crypto::Sha256Digest sha256{};   // RFC 8489 §18.5.1.2
    crypto::Sha256Digest userhash{}; // RFC 8489 §14.4
};

class UserStore {
public:
    struct BuildResult {
        std::shared_ptr<const UserStore> store; // null on error
        std::string error;                      // e.g. "user 'bob' is defined twice"
    };
    // Derives every key for `realm`. Fails on a duplicate name or on a name, password or realm
    // that the OpaqueString profile (RFC 8265 §4.2) rejects.
    static BuildResult build(std::string_view realm, std::vector<UserEntry> users);

    const UserKeys* find(std::string_view name) const;
    const UserKeys* find_by_userhash(std::span<const uint8_t> hash) const;
    std::size_t size() const { return users_.size(); }
    const std::string& realm() const { return realm_; }

private:
    UserStore() = default;
    std::string realm_;
    std::vector<UserKeys> users_;       // sorted by name
    std::vector<uint32_t> by_userhash_; // indexes into users_, sorted by userhash
};

// TURN REST: the expiry (Unix seconds) at the front of the username, or nullopt when the
// username does not start with digits followed by ':' or the end.
std::optional<int64_t> rest_expiry(std::string_view username);
// base64(HMAC-SHA1(secret, username)), what the web service hands out as the password.
std::string rest_password(std::string_view secret, std::string_view username);

inline constexpr std::size_t kMaxRestSecrets = 8;

enum class LookupStatus : uint8_t { Found, UnknownUser, Expired };

// The keys a request's integrity may verify with: one for a static user, one per secret for a
// REST username.
struct CandidateKeys {
    LookupStatus status = LookupStatus::UnknownUser;
    std::array<LongTermKey, kMaxRestSecrets> keys{};
    std::size_t count = 0;
    std::span<const LongTermKey> list() const { return std::span(keys).first(count); }
};

struct CredentialConfig {
    std::string realm;
    std::shared_ptr<const UserStore> users; // may be null: no static users
    std::vector<std::string> rest_secrets;  // newest first; empty: no REST credentials
};

class CredentialStore {
public:
    // Throws std::invalid_argument for an unusable configuration (see validate()).
    explicit CredentialStore(CredentialConfig config);
    // Why a configuration is unusable (empty or invalid realm, a user store built for another
    // realm, more than kMaxRestSecrets secrets, an empty secret), or nullopt.
    static std::optional<std::string> validate(const CredentialConfig& config);

    // `algorithm` selects MD5 or SHA-256 keys. REST usernames are checked against `now`.
    CandidateKeys lookup(std::string_view username, uint16_t algorithm,
                         std::chrono::system_clock::time_point now) const;
    // RFC 8489 §9.2.4: USERHASH resolves static users only (a REST username is not known in
    // advance).
    const UserKeys* find_by_userhash(std::span<const uint8_t> hash) const;

    // SIGHUP: a new store for the same realm.
    void set_users(std::shared_ptr<const UserStore> users) { config_.users = std::move(users); }
    const std::string& realm() const { return config_.realm; }
    bool has_rest() const { return !config_.rest_secrets.empty(); }

private:
    CredentialConfig config_;
};

} // namespace rtc::turn

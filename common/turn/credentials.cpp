#include "turn/credentials.hpp"

#include "crypto/base64.hpp"
#include "stun/credentials.hpp"
#include "stun/rfc8489_attributes.hpp"
#include "util/bytes.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace rtc::turn {

namespace {

std::string_view trim(std::string_view s) {
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && space(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && space(s.back()))
        s.remove_suffix(1);
    return s;
}

bool less_hash(const crypto::Sha256Digest& a, std::span<const uint8_t> b) {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}

} // namespace

std::optional<UserEntry> parse_user_spec(std::string_view text) {
    auto colon = text.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size())
        return std::nullopt;
    return UserEntry{std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))};
}

bool parse_users_file(std::string_view text, std::vector<UserEntry>& out, UsersFileError& error) {
    std::size_t line_number = 0;
    while (!text.empty()) {
        ++line_number;
        auto end = text.find('\n');
        auto line = trim(text.substr(0, end));
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
        if (line.empty() || line.front() == '#')
            continue;
        auto entry = parse_user_spec(line);
        if (!entry) {
            error = {line_number, "expected name:password"};
            return false;
        }
        out.push_back(std::move(*entry));
    }
    return true;
}

LongTermKey make_key(const crypto::Md5Digest& digest) {
    LongTermKey k;
    k.algorithm = stun::kPasswordAlgorithmMd5;
    k.size = static_cast<uint8_t>(digest.size());
    std::memcpy(k.bytes.data(), digest.data(), digest.size());
    return k;
}

LongTermKey make_key(const crypto::Sha256Digest& digest) {
    LongTermKey k;
    k.algorithm = stun::kPasswordAlgorithmSha256;
    k.size = static_cast<uint8_t>(digest.size());
    std::memcpy(k.bytes.data(), digest.data(), digest.size());
    return k;
}

UserStore::BuildResult UserStore::build(std::string_view realm, std::vector<UserEntry> users) {
    std::shared_ptr<UserStore> store(new UserStore()); // private constructor
    store->realm_ = std::string(realm);
    store->users_.reserve(users.size());
    for (const auto& u : users) {
        auto md5 = stun::long_term_key_md5(u.name, realm, u.password);
        auto sha = stun::long_term_key_sha256(u.name, realm, u.password);
        auto hash = stun::userhash(u.name, realm);
        if (!md5 || !sha || !hash || !stun::opaque_string(u.name))
            return {nullptr, "user '" + u.name + "': name, password or realm is not valid text"};
        store->users_.push_back(UserKeys{u.name, *md5, *sha, *hash});
    }
    std::sort(store->users_.begin(), store->users_.end(),
              [](const UserKeys& a, const UserKeys& b) { return a.name < b.name; });
    for (std::size_t i = 1; i < store->users_.size(); ++i)
        if (store->users_[i].name == store->users_[i - 1].name)
            return {nullptr, "user '" + store->users_[i].name + "' is defined twice"};
    store->by_userhash_.resize(store->users_.size());
    for (std::size_t i = 0; i < store->users_.size(); ++i)
        store->by_userhash_[i] = static_cast<uint32_t>(i);
    std::sort(store->by_userhash_.begin(), store->by_userhash_.end(), [&](uint32_t a, uint32_t b) {
        return store->users_[a].userhash < store->users_[b].userhash;
    });
    return {std::move(store), {}};
}

const UserKeys* UserStore::find(std::string_view name) const {
    auto it = std::lower_bound(users_.begin(), users_.end(), name,
                               [](const UserKeys& u, std::string_view n) { return u.name < n; });
    return it != users_.end() && it->name == name ? &*it : nullptr;
}

const UserKeys* UserStore::find_by_userhash(std::span<const uint8_t> hash) const {
    if (hash.size() != 32)
        return nullptr;
    auto it = std::lower_bound(by_userhash_.begin(), by_userhash_.end(), hash,
                               [this](uint32_t i, std::span<const uint8_t> h) {
                                   return less_hash(users_[i].userhash, h);
                               });
    if (it == by_userhash_.end())
        return nullptr;
    const auto& u = users_[*it];
    return std::equal(u.userhash.begin(), u.userhash.end(), hash.begin(), hash.end()) ? &u
                                                                                      : nullptr;
}

std::optional<int64_t> rest_expiry(std::string_view username) {
    std::size_t i = 0;
    int64_t value = 0;
    while (i < username.size() && username[i] >= '0' && username[i] <= '9') {
        if (i == 18)
            return std::nullopt; // would overflow
        value = value * 10 + (username[i] - '0');
        ++i;
    }
    if (i == 0 || (i < username.size() && username[i] != ':'))
        return std::nullopt;
    return value;
}

std::string rest_password(std::string_view secret, std::string_view username) {
    auto mac = crypto::hmac_sha1(util::as_bytes(secret), util::as_bytes(username));
    return crypto::base64_encode(mac);
}

CredentialStore::CredentialStore(CredentialConfig config) : config_(std::move(config)) {
    if (auto error = validate(config_))
        throw std::invalid_argument(*error);
}

std::optional<std::string> CredentialStore::validate(const CredentialConfig& config) {
    if (config.realm.empty() || !stun::Realm::valid(config.realm) ||
        !stun::opaque_string(config.realm))
        return "the realm must be non-empty text of fewer than 128 characters";
    if (config.users && config.users->realm() != config.realm)
        return "the user store was built for another realm";
    if (config.rest_secrets.size() > kMaxRestSecrets)
        return "at most " + std::to_string(kMaxRestSecrets) + " REST secrets";
    for (const auto& s : config.rest_secrets)
        if (s.empty())
            return "a REST secret is empty";
    return std::nullopt;
}

CandidateKeys CredentialStore::lookup(std::string_view username, uint16_t algorithm,
                                      std::chrono::system_clock::time_point now) const {
    CandidateKeys out;
    bool sha256 = algorithm == stun::kPasswordAlgorithmSha256;
    if (config_.users) {
        if (const auto* u = config_.users->find(username)) {
            out.keys[0] = sha256 ? make_key(u->sha256) : make_key(u->md5);
            out.count = 1;
            out.status = LookupStatus::Found;
            return out;
        }
    }
    if (config_.rest_secrets.empty())
        return out;
    auto expiry = rest_expiry(username);
    if (!expiry)
        return out;
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    if (*expiry < seconds) {
        out.status = LookupStatus::Expired;
        return out;
    }
    for (const auto& secret : config_.rest_secrets) {
        // draft-uberti-behave-turn-rest-00 §2.2: the password is the base64 HMAC; the
        // long-term key is then derived as for any user (RFC 8489 §9.2.2).
        auto password = rest_password(secret, username);
        LongTermKey key;
        if (sha256) {
            auto k = stun::long_term_key_sha256(username, config_.realm, password);
            if (!k)
                continue;
            key = make_key(*k);
        } else {
            auto k = stun::long_term_key_md5(username, config_.realm, password);
            if (!k)
                continue;
            key = make_key(*k);
        }
        out.keys[out.count++] = key;
    }
    out.status = out.count > 0 ? LookupStatus::Found : LookupStatus::UnknownUser;
    return out;
}

const UserKeys* CredentialStore::find_by_userhash(std::span<const uint8_t> hash) const {
    return config_.users ? config_.users->find_by_userhash(hash) : nullptr;
}

} // namespace rtc::turn

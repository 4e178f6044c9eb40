#pragma once
// Stateless nonces for the long-term credential mechanism (RFC 8489 §9.2): the server keeps no
// per-client state for unauthenticated requests. A nonce is
//   "obMatJos2" + base64(security feature set, 24 bits) + base64url(time(4) || mac(20))
// where mac = HMAC-SHA256(server key, family | address | port | time) truncated to 20 bytes and
// time is the issue second on the caller's steady clock. The "obMatJos2" nonce cookie and the
// feature set (bit 0, the most significant, = Password algorithms) follow RFC 8489 §9.2.1 and
// §18.1; the feature set is always "gAAA" (password algorithms supported).
// A nonce is valid for the source it was issued to, for `lifetime`; after that it is stale
// (438, RFC 8489 §9.2.4), and a client that retries gets a fresh one.
#include "util/ip_address.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace rtc::turn {

inline constexpr std::string_view kNonceCookie = "obMatJos2";
inline constexpr std::string_view kNonceFeatures = "gAAA"; // password algorithms
inline constexpr std::size_t kNonceLength = 9 + 4 + 32;

enum class NonceStatus : uint8_t { Valid, Stale, Invalid };

class NonceManager {
public:
    using Clock = std::chrono::steady_clock;
    using Key = std::array<uint8_t, 32>;

    // `key` should be random (crypto::random_bytes) and stay the same across worker threads
    // so that any thread can check another's nonce.
    NonceManager(const Key& key, std::chrono::seconds lifetime);

    // Writes the nonce into `out` and returns a view of it.
    std::string_view issue(const util::Endpoint& source, Clock::time_point now,
                           std::span<char, kNonceLength> out) const;
    NonceStatus check(std::string_view nonce, const util::Endpoint& source,
                      Clock::time_point now) const;

    std::chrono::seconds lifetime() const { return lifetime_; }

private:
    std::array<uint8_t, 20> mac(const util::Endpoint& source, uint32_t time) const;

    Key key_;
    std::chrono::seconds lifetime_;
};

// RFC 8489 §9.2.1: the nonce starts with the cookie, so PASSWORD-ALGORITHMS was offered.
inline bool nonce_has_cookie(std::string_view nonce) {
    return nonce.substr(0, kNonceCookie.size()) == kNonceCookie;
}

} // namespace rtc::turn

#pragma once
// JSON Web Tokens signed with HMAC SHA-256 (RFC 7519 over RFC 7515's JWS Compact Serialization,
// "HS256" from RFC 7518 §3.2), as rtc-signal accepts them before a WebSocket upgrade.
//
//   std::vector<std::string> secrets{current, previous};        // rotation: any may match
//   auto result = rtc::signal::verify_jwt(token, secrets, std::chrono::system_clock::now());
//   if (!result.ok) refuse(401, result.error);
//   if (!rtc::signal::jwt_allows(result.claims, room, peer_id)) refuse(403, "forbidden");
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace rtc::signal {

using SystemTime = std::chrono::system_clock::time_point;

struct JwtClaims {
    int64_t exp = 0;            // NumericDate (RFC 7519 §4.1.4), required
    std::optional<int64_t> nbf; // RFC 7519 §4.1.5
    std::string room;           // empty: no room claim (any room); "*": any room
    std::string sub;            // the peer id the holder must use; empty: any (RFC 7519 §4.1.2)
};

struct JwtResult {
    bool ok = false;
    // When !ok: "malformed", "unsupported alg", "bad signature", "missing exp", "bad claims",
    // "expired", "not yet valid", "no secret".
    std::string error;
    JwtClaims claims; // when ok
};

// Tokens longer than this are refused as malformed before any decoding.
inline constexpr std::size_t kMaxJwtLength = 8192;

// Verifies `token` against every secret (raw key bytes; the first that matches wins), then the
// time claims at `now` with `leeway` of clock skew allowed either way. Never throws on input.
JwtResult verify_jwt(std::string_view token, std::span<const std::string> secrets, SystemTime now,
                     std::chrono::seconds leeway = std::chrono::seconds(0));

// A compact HS256 token {"alg":"HS256","typ":"JWT"}.{claims} for tests and tools.
std::string mint_jwt(const JwtClaims& claims, std::string_view secret);

// Does a verified token let its holder join `room` as `peer_id`? The room claim must be absent,
// "*" or equal; the sub claim must be absent or equal (an empty peer_id, "give me an id", is
// allowed only without a sub claim).
bool jwt_allows(const JwtClaims& claims, std::string_view room, std::string_view peer_id);

} // namespace rtc::signal

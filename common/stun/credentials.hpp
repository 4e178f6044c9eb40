#pragma once
// STUN credentials: the OpaqueString profile (RFC 8265 §4.2) and the keys of RFC 8489 §9.
#include "crypto/hash.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace rtc::stun {

// RFC 8265 §4.2 OpaqueString, enforcement. Returns nullopt for text the profile disallows.
// Implemented: UTF-8 validity; FreeformClass rejection of control characters (Cc), of
// default-ignorable code points and noncharacters (RFC 8264 §9.13-§9.14) and of conjoining
// Hangul Jamo (§9.9); the additional mapping of non-ASCII spaces (Zs) to U+0020; rejection of
// the empty string. Not covered: NFC normalisation of non-ASCII text (ASCII is already NFC; other
// text is passed through unchanged, so callers should supply NFC) and the rejection of
// unassigned code points, which would need the Unicode tables.
std::optional<std::string> opaque_string(std::string_view text);

// RFC 8489 §9.1.1: short-term key = OpaqueString(password).
std::optional<std::string> short_term_key(std::string_view password);

// RFC 8489 §9.2.2: key = MD5(username ":" OpaqueString(realm) ":" OpaqueString(password)).
// `username` is used as found in USERNAME (already OpaqueString-processed by its sender);
// trailing NUL bytes of each field are removed first.
std::optional<crypto::Md5Digest>
long_term_key_md5(std::string_view username, std::string_view realm, std::string_view password);
// RFC 8489 §18.5.1 (PASSWORD-ALGORITHM SHA-256): the same with SHA-256.
std::optional<crypto::Sha256Digest>
long_term_key_sha256(std::string_view username, std::string_view realm, std::string_view password);

// RFC 8489 §14.4: userhash = SHA-256(OpaqueString(username) ":" OpaqueString(realm)).
std::optional<crypto::Sha256Digest> userhash(std::string_view username, std::string_view realm);

} // namespace rtc::stun

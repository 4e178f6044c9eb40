#pragma once
// Base64 with the URL- and filename-safe alphabet and no padding (RFC 4648 §5), as JWS uses it
// (RFC 7515 §2 "Base64url Encoding"), and random url-safe identifiers built from it.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rtc::signal {

std::string base64url_encode(std::span<const uint8_t> data);
std::string base64url_encode(std::string_view data);

// Strict: no padding, no whitespace, only [A-Za-z0-9_-], a length that is not 1 mod 4 and
// zero unused trailing bits (the canonical form, RFC 4648 §3.5).
std::optional<std::vector<uint8_t>> base64url_decode(std::string_view text);

// `random_bytes` bytes from the system's strong generator, base64url-encoded
// (ceil(4n/3) characters of [A-Za-z0-9_-]).
std::string random_url_token(std::size_t random_bytes);

} // namespace rtc::signal

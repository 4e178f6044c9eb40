#pragma once
// Base64 with the standard alphabet and '=' padding (RFC 4648 §4).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rtc::crypto {

std::string base64_encode(std::span<const uint8_t> data);

// Strict: the length must be a multiple of 4, only alphabet characters, padding only at the
// end, and unused trailing bits zero (RFC 4648 §3.5 canonical form). No whitespace.
std::optional<std::vector<uint8_t>> base64_decode(std::string_view text);

} // namespace rtc::crypto

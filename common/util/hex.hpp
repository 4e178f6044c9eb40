#pragma once
// Hexadecimal text <-> bytes.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rtc::util {

// The value of one hex digit (either case), or -1.
int hex_digit_value(char c);

// Lower-case hex, two digits per byte, no separators.
std::string to_hex(std::span<const uint8_t> bytes);

// Parses pairs of hex digits (either case). ASCII whitespace between bytes is skipped, so
// test vectors can be laid out in columns; anything else, or an odd digit count, is an error.
std::optional<std::vector<uint8_t>> from_hex(std::string_view text);

// The same into a caller-provided buffer: returns the byte count, or nullopt on bad text or
// when `out` is too small.
std::optional<std::size_t> from_hex(std::string_view text, std::span<uint8_t> out);

} // namespace rtc::util

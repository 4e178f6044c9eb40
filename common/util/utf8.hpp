#pragma once
// Minimal UTF-8 (RFC 3629) helpers for protocol text fields.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace rtc::util {

struct Utf8CodePoint {
    char32_t value = 0;
    std::size_t length = 0; // bytes consumed
};

// Decodes the code point starting at text[at]. Rejects truncated sequences, overlong forms,
// surrogates (U+D800..U+DFFF) and values above U+10FFFF (RFC 3629 §3).
std::optional<Utf8CodePoint> decode_utf8(std::string_view text, std::size_t at);

bool is_valid_utf8(std::string_view text);

// Number of characters: counts every byte that is not a continuation byte, so it is defined
// (and bounded by the byte count) even for malformed input.
std::size_t utf8_length(std::string_view text);

void append_utf8(std::string &out, char32_t code_point);

} // namespace rtc::util

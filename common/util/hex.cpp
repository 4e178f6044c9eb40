#include "util/hex.hpp"

namespace rtc::util {

int hex_digit_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Calls sink(byte) for every decoded byte; false on malformed text.
template <class Sink> bool decode(std::string_view text, Sink&& sink) {
    std::size_t i = 0;
    while (i < text.size()) {
        if (is_space(text[i])) {
            ++i;
            continue;
        }
        if (i + 1 >= text.size())
            return false;
        int hi = hex_digit_value(text[i]);
        int lo = hex_digit_value(text[i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        if (!sink(static_cast<uint8_t>((hi << 4) | lo)))
            return false;
        i += 2;
    }
    return true;
}

} // namespace

std::string to_hex(std::span<const uint8_t> bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.resize(bytes.size() * 2);
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        out[2 * i] = kDigits[bytes[i] >> 4];
        out[2 * i + 1] = kDigits[bytes[i] & 0x0f];
    }
    return out;
}

std::optional<std::vector<uint8_t>> from_hex(std::string_view text) {
    std::vector<uint8_t> out;
    out.reserve(text.size() / 2);
    if (!decode(text, [&](uint8_t b) {
            out.push_back(b);
            return true;
        }))
        return std::nullopt;
    return out;
}

std::optional<std::size_t> from_hex(std::string_view text, std::span<uint8_t> out) {
    std::size_t n = 0;
    if (!decode(text, [&](uint8_t b) {
            if (n == out.size())
                return false;
            out[n++] = b;
            return true;
        }))
        return std::nullopt;
    return n;
}

} // namespace rtc::util

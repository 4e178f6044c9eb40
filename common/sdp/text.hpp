#pragma once
// Small text helpers shared by the SDP parser, serializer and answer builder (internal).
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace rtc::sdp::text {

inline std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

// Splits on runs of spaces; no empty tokens.
inline std::vector<std::string_view> split_spaces(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && s[i] == ' ')
            ++i;
        const std::size_t start = i;
        while (i < s.size() && s[i] != ' ')
            ++i;
        if (i > start)
            out.push_back(s.substr(start, i - start));
    }
    return out;
}

// The first space-separated token and the rest (leading spaces removed).
inline std::pair<std::string_view, std::string_view> first_token(std::string_view s) {
    s = trim(s);
    const auto sp = s.find(' ');
    if (sp == std::string_view::npos)
        return {s, {}};
    return {s.substr(0, sp), trim(s.substr(sp + 1))};
}

// Decimal digits only (no sign, no spaces), at most `max`.
template <typename T>
std::optional<T> parse_uint(std::string_view s, uint64_t max = std::numeric_limits<T>::max()) {
    if (s.empty() || s.size() > 20)
        return std::nullopt;
    uint64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || v > max)
        return std::nullopt;
    return static_cast<T>(v);
}

} // namespace rtc::sdp::text

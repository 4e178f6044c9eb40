#pragma once
// Quoting of user-supplied values inside one-line error messages.
#include <string>
#include <string_view>

namespace rtc::app {

// "value" in double quotes, at most 80 characters, control and non-ASCII bytes shown as '?', so
// that a hostile value cannot break the one-line message or the terminal.
inline std::string quote_value(std::string_view text) {
    constexpr std::size_t kMax = 80;
    std::string out = "\"";
    for (std::size_t i = 0; i < text.size() && i < kMax; ++i) {
        auto u = static_cast<unsigned char>(text[i]);
        out.push_back(u < 0x20 || u >= 0x7f ? '?' : text[i]);
    }
    if (text.size() > kMax)
        out += "...";
    out += '"';
    return out;
}

} // namespace rtc::app

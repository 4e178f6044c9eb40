#include "ws/url.hpp"

#include <cctype>
#include <charconv>

namespace rtc::ws {

namespace {

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size())
        return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
        if (c != prefix[i])
            return false;
    }
    return true;
}

bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// RFC 3986 §3.2.2 reg-name / IPv4address, without percent-encoding (DNS names need none).
bool is_host_char(char c) {
    return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

// RFC 3986 §3.3/§3.4 pchar, '/' and '?' (percent-encoded triplets are kept as they are).
bool is_target_char(char c) {
    return is_alnum(c) ||
           std::string_view("-._~!$&'()*+,;=:@/?%").find(c) != std::string_view::npos;
}

} // namespace

std::optional<Url> parse_url(std::string_view text) {
    Url url;
    if (starts_with_nocase(text, "wss://")) {
        url.secure = true;
        text.remove_prefix(6);
    } else if (starts_with_nocase(text, "ws://")) {
        text.remove_prefix(5);
    } else {
        return std::nullopt;
    }
    const std::size_t authority_end = text.find_first_of("/?#");
    std::string_view authority = text.substr(0, authority_end);
    std::string_view rest =
        authority_end == std::string_view::npos ? std::string_view() : text.substr(authority_end);

    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos || close < 3)
            return std::nullopt;
        url.host = std::string(authority.substr(1, close - 1));
        for (char c : url.host)
            if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.'))
                return std::nullopt;
        const std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':')
                return std::nullopt;
            port_text = after.substr(1);
        }
    } else {
        const std::size_t colon = authority.find(':');
        url.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos)
            port_text = authority.substr(colon + 1);
        for (char c : url.host)
            if (!is_host_char(c))
                return std::nullopt; // also refuses user info ('@')
    }
    if (url.host.empty())
        return std::nullopt;

    const uint16_t default_port = url.secure ? 443 : 80;
    url.port = default_port;
    if (!port_text.empty()) {
        unsigned value = 0;
        const auto [ptr, ec] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
        if (ec != std::errc() || ptr != port_text.data() + port_text.size() || value == 0 ||
            value > 65535)
            return std::nullopt;
        url.port = static_cast<uint16_t>(value);
    } else if (authority.size() > 0 && authority.back() == ':') {
        return std::nullopt;
    }

    if (rest.find('#') != std::string_view::npos)
        return std::nullopt; // RFC 6455 §3: no fragment in a WebSocket URI
    for (char c : rest)
        if (!is_target_char(c))
            return std::nullopt;
    url.target =
        rest.empty() ? "/" : (rest.front() == '?' ? "/" + std::string(rest) : std::string(rest));

    const bool v6 = url.host.find(':') != std::string::npos;
    url.host_header = v6 ? "[" + url.host + "]" : url.host;
    if (url.port != default_port)
        url.host_header += ":" + std::to_string(url.port);
    return url;
}

} // namespace rtc::ws

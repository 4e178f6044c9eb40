#include "probe/server_url.hpp"

#include <cctype>

namespace rtc::probe {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

// RFC 3986 §3.2.2 reg-name, restricted to what DNS names use (no percent-encoding).
bool valid_name(std::string_view name) {
    if (name.empty() || name.size() > 253)
        return false;
    for (char c : name) {
        auto u = static_cast<unsigned char>(c);
        if (!std::isalnum(u) && c != '-' && c != '.' && c != '_')
            return false;
    }
    return true;
}

std::nullopt_t fail(std::string* error, std::string_view text, const std::string& why) {
    if (error) {
        std::string shown(text.substr(0, 100));
        for (char& c : shown)
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
                c = '?';
        *error = "\"" + shown + "\": " + why;
    }
    return std::nullopt;
}

} // namespace

std::string_view scheme_name(UrlScheme scheme) {
    switch (scheme) {
    case UrlScheme::Stun:
        return "stun";
    case UrlScheme::Stuns:
        return "stuns";
    case UrlScheme::Turn:
        return "turn";
    case UrlScheme::Turns:
        return "turns";
    }
    return "stun";
}

std::string_view transport_name(UrlTransport transport) {
    return transport == UrlTransport::Udp ? "udp" : "tcp";
}

std::string ServerUrl::to_string() const {
    std::string out(scheme_name(scheme));
    out += ':';
    const bool v6 = host.find(':') != std::string::npos;
    out += v6 ? "[" + host + "]" : host;
    out += ':' + std::to_string(port);
    if (transport_given) {
        out += "?transport=";
        out += transport_name(transport);
    }
    return out;
}

std::optional<ServerUrl> parse_server_url(std::string_view text, std::string* error) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos)
        return fail(error, text, "not a STUN/TURN URI (e.g. stun:stun.example.org:3478)");
    ServerUrl url;
    const auto scheme = text.substr(0, colon);
    if (iequals(scheme, "stun"))
        url.scheme = UrlScheme::Stun;
    else if (iequals(scheme, "stuns"))
        url.scheme = UrlScheme::Stuns;
    else if (iequals(scheme, "turn"))
        url.scheme = UrlScheme::Turn;
    else if (iequals(scheme, "turns"))
        url.scheme = UrlScheme::Turns;
    else
        return fail(error, text, "unknown scheme, expected stun:, stuns:, turn: or turns:");
    url.port = url.secure() ? kDefaultStunsPort : kDefaultStunPort;
    url.transport = url.secure() ? UrlTransport::Tcp : UrlTransport::Udp;

    auto rest = text.substr(colon + 1);
    if (rest.substr(0, 2) == "//")
        return fail(error, text, "RFC 7064 URIs have no \"//\": write stun:HOST[:PORT]");
    std::string_view query;
    if (auto q = rest.find('?'); q != std::string_view::npos) {
        query = rest.substr(q + 1);
        rest = rest.substr(0, q);
    }

    std::string_view host;
    std::string_view port;
    if (!rest.empty() && rest.front() == '[') {
        const auto close = rest.find(']');
        if (close == std::string_view::npos)
            return fail(error, text, "unclosed '[' in the host");
        host = rest.substr(1, close - 1);
        auto after = rest.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':')
                return fail(error, text, "expected ':PORT' after the IPv6 address");
            port = after.substr(1);
            if (port.empty())
                return fail(error, text, "empty port");
        }
        auto ip = util::IpAddress::parse(host);
        if (!ip || !ip->is_v6())
            return fail(error, text, "bad IPv6 address in brackets");
    } else {
        const auto c = rest.find(':');
        host = rest.substr(0, c);
        if (c != std::string_view::npos) {
            port = rest.substr(c + 1);
            if (port.empty())
                return fail(error, text, "empty port");
        }
        if (!valid_name(host))
            return fail(error, text, "bad host (IPv6 addresses go in brackets)");
    }
    if (!port.empty()) {
        uint32_t value = 0;
        for (char c : port) {
            if (c < '0' || c > '9' || value > 65535)
                return fail(error, text, "bad port");
            value = value * 10 + static_cast<uint32_t>(c - '0');
        }
        if (value == 0 || value > 65535 || port.size() > 5)
            return fail(error, text, "port out of range 1-65535");
        url.port = static_cast<uint16_t>(value);
    }
    url.host = std::string(host);

    if (!query.empty()) {
        // RFC 7065 §3.1: "transport=" udp / tcp (other transports are not defined).
        constexpr std::string_view kKey = "transport=";
        if (!iequals(query.substr(0, kKey.size()), kKey))
            return fail(error, text, "unknown query, expected ?transport=udp or ?transport=tcp");
        const auto value = query.substr(kKey.size());
        if (iequals(value, "udp"))
            url.transport = UrlTransport::Udp;
        else if (iequals(value, "tcp"))
            url.transport = UrlTransport::Tcp;
        else
            return fail(error, text, "transport must be udp or tcp");
        url.transport_given = true;
    }
    return url;
}

} // namespace rtc::probe

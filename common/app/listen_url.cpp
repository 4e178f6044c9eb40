#include "app/listen_url.hpp"

#include "app/quote.hpp"

#include <array>

namespace rtc::app {

namespace {

constexpr std::array<std::string_view, 6> kSchemeNames = {"udp",  "tcp",  "tls",
                                                          "dtls", "http", "https"};

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equals_lower(std::string_view text, std::string_view lower_name) {
    if (text.size() != lower_name.size())
        return false;
    for (std::size_t i = 0; i < text.size(); ++i)
        if (lower(text[i]) != lower_name[i])
            return false;
    return true;
}

std::string scheme_list(const ListenSpec& spec) {
    std::string out;
    for (std::size_t i = 0; i < spec.schemes.size(); ++i) {
        if (i > 0)
            out += i + 1 == spec.schemes.size() ? " or " : ", ";
        out += scheme_name(spec.schemes[i].scheme);
    }
    return out;
}

const SchemePort* find_scheme(const ListenSpec& spec, Scheme scheme) {
    for (const auto& s : spec.schemes)
        if (s.scheme == scheme)
            return &s;
    return nullptr;
}

bool fail(std::string* error, std::string_view text, const std::string& why) {
    if (error)
        *error = quote_value(text) + ": " + why;
    return false;
}

} // namespace

std::string_view scheme_name(Scheme scheme) {
    auto i = static_cast<std::size_t>(scheme);
    return i < kSchemeNames.size() ? kSchemeNames[i] : "?";
}

std::optional<Scheme> parse_scheme(std::string_view text) {
    for (std::size_t i = 0; i < kSchemeNames.size(); ++i)
        if (equals_lower(text, kSchemeNames[i]))
            return static_cast<Scheme>(i);
    return std::nullopt;
}

bool is_secure(Scheme scheme) {
    return scheme == Scheme::Tls || scheme == Scheme::Dtls || scheme == Scheme::Https;
}

bool is_datagram(Scheme scheme) {
    return scheme == Scheme::Udp || scheme == Scheme::Dtls;
}

std::string ListenUrl::to_string() const {
    std::string out(scheme_name(scheme));
    out += "://";
    if (!host)
        out += '*';
    else if (host->is_v6())
        out += "[" + host->to_string() + "]";
    else
        out += host->to_string();
    out += ':';
    out += std::to_string(port);
    return out;
}

std::vector<util::Endpoint> ListenUrl::endpoints() const {
    if (host)
        return {util::Endpoint{*host, port}};
    return {util::Endpoint{util::IpAddress::any(util::Family::V4), port},
            util::Endpoint{util::IpAddress::any(util::Family::V6), port}};
}

std::optional<ListenUrl> parse_listen_url(std::string_view text, const ListenSpec& spec,
                                          std::string* error) {
    ListenUrl url;
    std::string_view rest = text;

    // [scheme "://"]
    auto sep = rest.find("://");
    if (sep != std::string_view::npos) {
        auto name = rest.substr(0, sep);
        auto scheme = parse_scheme(name);
        if (!scheme) {
            fail(error, text,
                 "unknown scheme " + quote_value(name) + ", expected " + scheme_list(spec));
            return std::nullopt;
        }
        url.scheme = *scheme;
        rest.remove_prefix(sep + 3);
    } else {
        url.scheme = spec.default_scheme;
    }
    const SchemePort* scheme_port = find_scheme(spec, url.scheme);
    if (!scheme_port) {
        fail(error, text,
             "this tool does not serve " + std::string(scheme_name(url.scheme)) + ", expected " +
                 scheme_list(spec));
        return std::nullopt;
    }

    // host: "*" | IPv4 | "[" IPv6 "]"
    std::string_view host;
    if (!rest.empty() && rest.front() == '[') {
        auto close = rest.find(']');
        if (close == std::string_view::npos) {
            fail(error, text, "missing \"]\" after the IPv6 address");
            return std::nullopt;
        }
        host = rest.substr(0, close + 1);
        rest.remove_prefix(close + 1);
        auto address = util::IpAddress::parse(host);
        if (!address || !address->is_v6()) {
            fail(error, text, quote_value(host) + " is not an IPv6 address");
            return std::nullopt;
        }
        url.host = address;
    } else {
        auto colon = rest.find(':');
        host = rest.substr(0, colon);
        if (colon != std::string_view::npos &&
            rest.find(':', colon + 1) != std::string_view::npos) {
            fail(error, text, "an IPv6 address needs brackets, as in udp://[::1]:3478");
            return std::nullopt;
        }
        rest.remove_prefix(host.size());
        if (host.empty()) {
            fail(error, text, "missing host, use \"*\" for every address");
            return std::nullopt;
        }
        if (host != "*") {
            auto address = util::IpAddress::parse(host);
            if (!address) {
                fail(error, text, quote_value(host) + " is not an IP address or \"*\"");
                return std::nullopt;
            }
            url.host = address;
        }
    }

    // [":" port]
    if (rest.empty()) {
        url.port = scheme_port->default_port;
        return url;
    }
    if (rest.front() != ':') {
        fail(error, text, "unexpected " + quote_value(rest) + " after the host");
        return std::nullopt;
    }
    rest.remove_prefix(1);
    if (rest.empty()) {
        fail(error, text, "missing port after \":\"");
        return std::nullopt;
    }
    uint32_t port = 0;
    for (std::size_t i = 0; i < rest.size(); ++i) {
        char c = rest[i];
        if (c < '0' || c > '9') {
            fail(error, text,
                 i == 0 ? quote_value(rest) + " is not a port number"
                        : "unexpected " + quote_value(rest.substr(i)) + " after the port");
            return std::nullopt;
        }
        port = port * 10 + static_cast<uint32_t>(c - '0');
        if (port > 65535) {
            auto digits = rest.substr(0, rest.find_first_not_of("0123456789"));
            fail(error, text, "port " + quote_value(digits) + " is out of range (0-65535)");
            return std::nullopt;
        }
    }
    url.port = static_cast<uint16_t>(port);
    return url;
}

} // namespace rtc::app

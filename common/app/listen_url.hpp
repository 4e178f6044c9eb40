#pragma once
// Listen URLs of the --listen flag (CLI.md "Endpoints"):
//   udp://HOST:PORT  tcp://  tls://  dtls://  http://  https://
// HOST is an IPv4 address, a bracketed IPv6 address or "*" (every IPv4 and IPv6 address).
// A bare HOST:PORT takes the tool's default scheme; a missing port takes the scheme's default
// port from the tool's ListenSpec.
#include "util/ip_address.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rtc::app {

enum class Scheme : uint8_t { Udp, Tcp, Tls, Dtls, Http, Https };

std::string_view scheme_name(Scheme scheme);               // "udp", ...
std::optional<Scheme> parse_scheme(std::string_view text); // case-insensitive (RFC 3986 §3.1)
bool is_secure(Scheme scheme);                             // tls, dtls, https: needs --cert
bool is_datagram(Scheme scheme);                           // udp, dtls

struct ListenUrl {
    Scheme scheme = Scheme::Udp;
    std::optional<util::IpAddress> host; // nullopt: "*", every IPv4 and IPv6 address
    uint16_t port = 0;

    bool is_wildcard() const { return !host.has_value(); }
    // "udp://*:3478", "tcp://[::1]:0", "https://192.0.2.1:443"
    std::string to_string() const;
    // The addresses to bind: the host, or 0.0.0.0 and [::] for "*".
    std::vector<util::Endpoint> endpoints() const;

    bool operator==(const ListenUrl&) const = default;
};

struct SchemePort {
    Scheme scheme;
    uint16_t default_port;
};

// What a tool accepts on --listen.
struct ListenSpec {
    Scheme default_scheme = Scheme::Udp; // for a bare HOST:PORT
    std::vector<SchemePort> schemes;     // the schemes the tool serves and their ports
    std::vector<std::string> defaults;   // the listeners used when --listen is not given
};

// Parses one --listen value. On failure returns nullopt and, if error is given, sets it to a
// message naming the value: "\"bogus://x\": unknown scheme \"bogus\", expected udp or tcp".
std::optional<ListenUrl> parse_listen_url(std::string_view text, const ListenSpec& spec,
                                          std::string* error = nullptr);

} // namespace rtc::app

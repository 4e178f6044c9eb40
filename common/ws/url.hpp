#pragma once
// ws:// and wss:// URLs (RFC 6455 §3), split into what a client needs to connect.
//
//   auto url = rtc::ws::parse_url("wss://[::1]:8443/room?id=alice");
//   // url->secure, url->host == "::1", url->port == 8443, url->target == "/room?id=alice",
//   // url->host_header == "[::1]:8443"
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rtc::ws {

struct Url {
    bool secure = false;     // wss
    std::string host;        // name or address, without IPv6 brackets
    uint16_t port = 0;       // explicit, or 80 / 443
    std::string target;      // path and query, at least "/"
    std::string host_header; // Host field: host (bracketed IPv6) and ":port" if not the default
};

// nullopt for another scheme, user info, an empty host or path segment characters outside
// RFC 3986, a port outside 1-65535, or a fragment (RFC 6455 §3 forbids one).
std::optional<Url> parse_url(std::string_view text);

} // namespace rtc::ws

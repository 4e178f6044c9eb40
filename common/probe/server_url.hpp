#pragma once
// STUN and TURN server URIs (RFC 7064 §3.1, RFC 7065 §3.1):
//   stun:HOST[:PORT]  stuns:HOST[:PORT]  turn:HOST[:PORT][?transport=udp|tcp]  turns:...
// HOST is a DNS name, an IPv4 address or a bracketed IPv6 address. The default port is 3478,
// or 5349 for stuns/turns (RFC 8489 §9). rtc-probe also takes ?transport on stun URIs, as
// browsers' ICE server lists do. The default transport is UDP, or TCP (TLS) for stuns/turns.
#include "util/ip_address.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rtc::probe {

enum class UrlScheme : uint8_t { Stun, Stuns, Turn, Turns };
enum class UrlTransport : uint8_t { Udp, Tcp };

inline constexpr uint16_t kDefaultStunPort = 3478;  // RFC 8489 §9
inline constexpr uint16_t kDefaultStunsPort = 5349; // RFC 8489 §9

struct ServerUrl {
    UrlScheme scheme = UrlScheme::Stun;
    std::string host; // IPv6 without brackets
    uint16_t port = kDefaultStunPort;
    UrlTransport transport = UrlTransport::Udp;
    bool transport_given = false; // ?transport= was present

    bool secure() const { return scheme == UrlScheme::Stuns || scheme == UrlScheme::Turns; }
    bool is_turn() const { return scheme == UrlScheme::Turn || scheme == UrlScheme::Turns; }
    // The host as an address when it is an IP literal.
    std::optional<util::IpAddress> literal() const { return util::IpAddress::parse(host); }
    // "stun:192.0.2.1:3478", "stuns:[2001:db8::1]:5349?transport=tcp" (transport when given).
    std::string to_string() const;
};

std::string_view scheme_name(UrlScheme scheme);          // "stun", ...
std::string_view transport_name(UrlTransport transport); // "udp", "tcp"

// Parses one URI (the scheme case-insensitively, RFC 3986 §3.1). On failure returns nullopt
// and, if error is given, says what is wrong with the text.
std::optional<ServerUrl> parse_server_url(std::string_view text, std::string* error = nullptr);

} // namespace rtc::probe

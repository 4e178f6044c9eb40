#pragma once
// Which peer addresses a TURN relay may talk to (RFC 8656 §21.2.3 "open relay" concerns,
// RFC 6156 §9.1). Used on CreatePermission and ChannelBind, not per packet, so a linear scan
// over a few dozen prefixes is fine.
//
// Rules, applied to the peer address and to every IPv4 address embedded in it (IPv4-mapped
// ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d, IPv4-translated ::ffff:0:a.b.c.d, 6to4
// 2002:AABB:CCDD::/48, Teredo 2001:0::/32 server and client, NAT64 64:ff9b::/96 and
// 64:ff9b:1::/48); the peer is allowed only if every one of them passes:
//   1. an address in the deny list (--deny-peer) is refused;
//   2. the unspecified address (0.0.0.0, ::) is always refused;
//   3. an address in the allow list (--allow-peer), or a loopback address when loopback peers
//      are allowed, passes;
//   4. otherwise an address in the default denied set (default_denied_ranges()) is refused.
// So allowing 2002::/16 still refuses 6to4 addresses that embed 10.0.0.1.
#include "util/ip_address.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rtc::turn {

struct Cidr {
    util::IpAddress network; // host bits cleared
    uint8_t prefix = 0;      // 0..32 or 0..128

    // "10.0.0.0/8", "fe80::/10", "[2001:db8::]/32"; a bare address is a /32 or /128. Host bits
    // are cleared ("192.168.1.7/24" is 192.168.1.0/24). nullopt for bad text or prefix.
    static std::optional<Cidr> parse(std::string_view text);
    bool contains(const util::IpAddress& address) const;
    std::string to_string() const;
    bool operator==(const Cidr&) const = default;
};

// IPv4 addresses embedded in an IPv6 address by the spellings listed above (at most two, for
// Teredo). Empty for IPv4 addresses and for IPv6 addresses that embed none.
struct EmbeddedIpv4 {
    std::array<util::IpAddress, 2> addresses{};
    std::size_t count = 0;
    std::span<const util::IpAddress> list() const { return std::span(addresses).first(count); }
};
EmbeddedIpv4 embedded_ipv4(const util::IpAddress& address);

// ::ffff:a.b.c.d -> a.b.c.d; every other address unchanged.
util::IpAddress unmap_ipv4(const util::IpAddress& address);

// The ranges refused unless allowed: RFC 6890 special-purpose and private ranges, multicast,
// link-local, CGNAT, documentation, benchmarking, Teredo, 6to4, NAT64, ULA.
std::span<const Cidr> default_denied_ranges();

struct PeerFilterConfig {
    std::vector<Cidr> allow;
    std::vector<Cidr> deny;
    bool allow_loopback = false; // 127.0.0.0/8 and ::1 (--allow-loopback-peers)
};

class PeerFilter {
public:
    PeerFilter() : PeerFilter(PeerFilterConfig{}) {}
    explicit PeerFilter(PeerFilterConfig config);

    bool allowed(const util::IpAddress& peer) const;

    const PeerFilterConfig& config() const { return config_; }

private:
    bool address_passes(const util::IpAddress& address) const;

    PeerFilterConfig config_;
};

} // namespace rtc::turn

#include "turn/peer_filter.hpp"

#include <charconv>

namespace rtc::turn {

namespace {

using util::IpAddress;

IpAddress v4_from(const uint8_t* p) {
    return IpAddress::v4(std::array<uint8_t, 4>{p[0], p[1], p[2], p[3]});
}

bool all_zero(const uint8_t* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
        if (p[i] != 0)
            return false;
    return true;
}

IpAddress masked(const IpAddress& address, unsigned prefix) {
    std::array<uint8_t, 16> b{};
    for (std::size_t i = 0; i < address.size(); ++i) {
        unsigned bits = prefix > i * 8 ? prefix - static_cast<unsigned>(i * 8) : 0;
        uint8_t mask = bits >= 8 ? 0xFF : static_cast<uint8_t>(0xFF << (8 - bits));
        b[i] = address.data()[i] & mask;
    }
    if (address.is_v4())
        return IpAddress::v4(std::array<uint8_t, 4>{b[0], b[1], b[2], b[3]});
    return IpAddress::v6(b);
}

Cidr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t prefix) {
    return Cidr{IpAddress::v4(std::array<uint8_t, 4>{a, b, c, d}), prefix};
}

Cidr v6(std::initializer_list<uint16_t> leading_groups, uint8_t prefix) {
    std::array<uint8_t, 16> b{};
    std::size_t i = 0;
    for (uint16_t g : leading_groups) {
        b[i++] = static_cast<uint8_t>(g >> 8);
        b[i++] = static_cast<uint8_t>(g);
    }
    return Cidr{IpAddress::v6(b), prefix};
}

std::vector<Cidr> make_default_denied() {
    return {
        // IPv4, RFC 6890 and its updates
        v4(0, 0, 0, 0, 8),       // "this network" (RFC 791)
        v4(10, 0, 0, 0, 8),      // private (RFC 1918)
        v4(100, 64, 0, 0, 10),   // shared address space, CGNAT (RFC 6598)
        v4(127, 0, 0, 0, 8),     // loopback
        v4(169, 254, 0, 0, 16),  // link-local, cloud metadata (RFC 3927)
        v4(172, 16, 0, 0, 12),   // private (RFC 1918)
        v4(192, 0, 0, 0, 24),    // IETF protocol assignments (RFC 6890)
        v4(192, 0, 2, 0, 24),    // TEST-NET-1 (RFC 5737)
        v4(192, 88, 99, 0, 24),  // 6to4 relay anycast (RFC 7526)
        v4(192, 168, 0, 0, 16),  // private (RFC 1918)
        v4(198, 18, 0, 0, 15),   // benchmarking (RFC 2544)
        v4(198, 51, 100, 0, 24), // TEST-NET-2 (RFC 5737)
        v4(203, 0, 113, 0, 24),  // TEST-NET-3 (RFC 5737)
        v4(224, 0, 0, 0, 4),     // multicast
        v4(240, 0, 0, 0, 4),     // reserved, includes broadcast 255.255.255.255
        // IPv6
        v6({}, 128),                       // unspecified
        v6({0, 0, 0, 0, 0, 0, 0, 1}, 128), // loopback
        v6({0x0064, 0xff9b}, 96),          // NAT64 well-known prefix (RFC 6052)
        v6({0x0064, 0xff9b, 1}, 48),       // NAT64 local-use (RFC 8215)
        v6({0x0100}, 64),                  // discard-only (RFC 6666)
        v6({0x2001, 0}, 32),               // Teredo (RFC 4380)
        v6({0x2001, 0x0002, 0}, 48),       // benchmarking (RFC 5180)
        v6({0x2001, 0x0010}, 28),          // ORCHID (RFC 4843)
        v6({0x2001, 0x0020}, 28),          // ORCHIDv2 (RFC 7343)
        v6({0x2001, 0x0db8}, 32),          // documentation (RFC 3849)
        v6({0x2002}, 16),                  // 6to4 (RFC 3056)
        v6({0x3fff}, 20),                  // documentation (RFC 9637)
        v6({0xfc00}, 7),                   // unique local (RFC 4193)
        v6({0xfe80}, 10),                  // link-local
        v6({0xfec0}, 10),                  // site-local, deprecated (RFC 3879)
        v6({0xff00}, 8),                   // multicast
    };
}

} // namespace

std::optional<Cidr> Cidr::parse(std::string_view text) {
    std::string_view address_text = text;
    std::optional<unsigned> prefix;
    if (auto slash = text.rfind('/'); slash != std::string_view::npos) {
        address_text = text.substr(0, slash);
        auto digits = text.substr(slash + 1);
        unsigned value = 0;
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (digits.empty() || digits.size() > 3 || ec != std::errc{} ||
            end != digits.data() + digits.size())
            return std::nullopt;
        prefix = value;
    }
    auto address = IpAddress::parse(address_text);
    if (!address)
        return std::nullopt;
    unsigned max = address->is_v4() ? 32 : 128;
    unsigned p = prefix.value_or(max);
    if (p > max)
        return std::nullopt;
    return Cidr{masked(*address, p), static_cast<uint8_t>(p)};
}

bool Cidr::contains(const IpAddress& address) const {
    if (address.family() != network.family())
        return false;
    return masked(address, prefix) == network;
}

std::string Cidr::to_string() const {
    return network.to_string() + "/" + std::to_string(prefix);
}

IpAddress unmap_ipv4(const IpAddress& address) {
    const uint8_t* b = address.data();
    if (address.is_v6() && all_zero(b, 10) && b[10] == 0xFF && b[11] == 0xFF)
        return v4_from(b + 12);
    return address;
}

EmbeddedIpv4 embedded_ipv4(const IpAddress& address) {
    EmbeddedIpv4 out;
    if (!address.is_v6())
        return out;
    const uint8_t* b = address.data();
    auto add = [&out](const IpAddress& a) { out.addresses[out.count++] = a; };
    if (all_zero(b, 10) && b[10] == 0xFF && b[11] == 0xFF) {
        add(v4_from(b + 12)); // IPv4-mapped (RFC 4291 §2.5.5.2)
    } else if (all_zero(b, 12)) {
        // IPv4-compatible (RFC 4291 §2.5.5.1, deprecated); :: and ::1 are handled as IPv6.
        if (!all_zero(b + 12, 3) || b[15] > 1)
            add(v4_from(b + 12));
    } else if (all_zero(b, 8) && b[8] == 0xFF && b[9] == 0xFF && b[10] == 0 && b[11] == 0) {
        add(v4_from(b + 12)); // IPv4-translated (RFC 2765 §2.1)
    } else if (b[0] == 0x20 && b[1] == 0x02) {
        add(v4_from(b + 2)); // 6to4 2002:V4ADDR::/48 (RFC 3056 §2)
    } else if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0) {
        // Teredo (RFC 4380 §4): server IPv4 in bits 32-63, client IPv4 inverted in 96-127.
        add(v4_from(b + 4));
        std::array<uint8_t, 4> client{static_cast<uint8_t>(~b[12]), static_cast<uint8_t>(~b[13]),
                                      static_cast<uint8_t>(~b[14]), static_cast<uint8_t>(~b[15])};
        add(IpAddress::v4(client));
    } else if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b) {
        if (all_zero(b + 4, 8)) {
            add(v4_from(b + 12)); // 64:ff9b::/96 (RFC 6052 §2.2)
        } else if (b[4] == 0 && b[5] == 1) {
            // 64:ff9b:1::/48 (RFC 8215): a /48 prefix puts the IPv4 address in bits 48-63 and
            // 72-95, skipping the "u" octet (RFC 6052 §2.2).
            std::array<uint8_t, 4> v{b[6], b[7], b[9], b[10]};
            add(IpAddress::v4(v));
        }
    }
    return out;
}

std::span<const Cidr> default_denied_ranges() {
    static const std::vector<Cidr> ranges = make_default_denied();
    return ranges;
}

PeerFilter::PeerFilter(PeerFilterConfig config) : config_(std::move(config)) {}

bool PeerFilter::address_passes(const IpAddress& address) const {
    for (const auto& c : config_.deny)
        if (c.contains(address))
            return false;
    if (address.is_unspecified())
        return false;
    if (config_.allow_loopback && address.is_loopback())
        return true;
    for (const auto& c : config_.allow)
        if (c.contains(address))
            return true;
    for (const auto& c : default_denied_ranges())
        if (c.contains(address))
            return false;
    return true;
}

bool PeerFilter::allowed(const IpAddress& peer) const {
    if (!address_passes(peer))
        return false;
    const auto embedded_addresses = embedded_ipv4(peer); // list() views this object
    for (const auto& embedded : embedded_addresses.list())
        if (!address_passes(embedded))
            return false;
    return true;
}

} // namespace rtc::turn

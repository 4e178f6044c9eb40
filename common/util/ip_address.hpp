#pragma once
// IP addresses and transport endpoints as plain values, independent of any socket API, so the
// protocol cores can use them. common/net converts them to and from sockaddr.
#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace rtc::util {

enum class Family : uint8_t { V4 = 4, V6 = 6 };

class IpAddress {
public:
    IpAddress() = default; // 0.0.0.0
    static IpAddress v4(std::array<uint8_t, 4> bytes);
    static IpAddress v4(uint32_t host_order);
    static IpAddress v6(const std::array<uint8_t, 16>& bytes);
    static IpAddress any(Family family);
    static IpAddress loopback(Family family);
    // Dotted quad or RFC 5952 text, with or without [brackets] for IPv6.
    static std::optional<IpAddress> parse(std::string_view text);

    Family family() const { return family_; }
    bool is_v4() const { return family_ == Family::V4; }
    bool is_v6() const { return family_ == Family::V6; }
    // 4 bytes for IPv4, 16 for IPv6, network order.
    const uint8_t* data() const { return bytes_.data(); }
    std::size_t size() const { return is_v4() ? 4 : 16; }
    uint32_t v4_host_order() const;
    bool is_unspecified() const;
    bool is_loopback() const;

    std::string to_string() const; // RFC 5952 for IPv6, no brackets

    auto operator<=>(const IpAddress&) const = default;

private:
    Family family_ = Family::V4;
    std::array<uint8_t, 16> bytes_{}; // IPv4 uses the first 4 bytes; the rest stay zero
};

struct Endpoint {
    IpAddress address;
    uint16_t port = 0;

    // "1.2.3.4:5" or "[::1]:5"
    std::string to_string() const;
    // Accepts "1.2.3.4:5", "[::1]:5"; a missing port is an error.
    static std::optional<Endpoint> parse(std::string_view text);

    auto operator<=>(const Endpoint&) const = default;
};

std::size_t hash_value(const IpAddress& a);

} // namespace rtc::util

template <> struct std::hash<rtc::util::IpAddress> {
    std::size_t operator()(const rtc::util::IpAddress& a) const noexcept {
        return rtc::util::hash_value(a);
    }
};
template <> struct std::hash<rtc::util::Endpoint> {
    std::size_t operator()(const rtc::util::Endpoint& e) const noexcept {
        return rtc::util::hash_value(e.address) * 31u + e.port;
    }
};

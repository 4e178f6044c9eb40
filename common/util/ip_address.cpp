#include "util/ip_address.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace rtc::util {

IpAddress IpAddress::v4(std::array<uint8_t, 4> bytes) {
    IpAddress a;
    a.family_ = Family::V4;
    std::memcpy(a.bytes_.data(), bytes.data(), 4);
    return a;
}

IpAddress IpAddress::v4(uint32_t host_order) {
    return v4({static_cast<uint8_t>(host_order >> 24), static_cast<uint8_t>(host_order >> 16),
               static_cast<uint8_t>(host_order >> 8), static_cast<uint8_t>(host_order)});
}

IpAddress IpAddress::v6(const std::array<uint8_t, 16>& bytes) {
    IpAddress a;
    a.family_ = Family::V6;
    a.bytes_ = bytes;
    return a;
}

IpAddress IpAddress::any(Family family) {
    IpAddress a;
    a.family_ = family;
    return a;
}

IpAddress IpAddress::loopback(Family family) {
    if (family == Family::V4)
        return v4(0x7f000001u);
    std::array<uint8_t, 16> b{};
    b[15] = 1;
    return v6(b);
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']')
        text = text.substr(1, text.size() - 2);
    if (text.empty() || text.size() > 64)
        return std::nullopt;
    std::string s(text);
    IpAddress a;
    if (text.find(':') == std::string_view::npos) {
        a.family_ = Family::V4;
        if (inet_pton(AF_INET, s.c_str(), a.bytes_.data()) != 1)
            return std::nullopt;
    } else {
        a.family_ = Family::V6;
        if (inet_pton(AF_INET6, s.c_str(), a.bytes_.data()) != 1)
            return std::nullopt;
    }
    return a;
}

uint32_t IpAddress::v4_host_order() const {
    return (uint32_t{bytes_[0]} << 24) | (uint32_t{bytes_[1]} << 16) | (uint32_t{bytes_[2]} << 8) |
           bytes_[3];
}

bool IpAddress::is_unspecified() const {
    for (std::size_t i = 0; i < size(); ++i)
        if (bytes_[i] != 0)
            return false;
    return true;
}

bool IpAddress::is_loopback() const {
    if (is_v4())
        return bytes_[0] == 127;
    return *this == loopback(Family::V6);
}

std::string IpAddress::to_string() const {
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
    return buf;
}

std::string Endpoint::to_string() const {
    // Appended piece by piece: g++ 12 at -O3 warns falsely (-Wrestrict) on chained operator+.
    std::string out;
    out.reserve(INET6_ADDRSTRLEN + 8);
    if (address.is_v6())
        out += '[';
    out += address.to_string();
    if (address.is_v6())
        out += ']';
    out += ':';
    out += std::to_string(port);
    return out;
}

std::optional<Endpoint> Endpoint::parse(std::string_view text) {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos)
        return std::nullopt;
    auto host = text.substr(0, colon);
    auto port_text = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos && host.front() != '[')
        return std::nullopt; // IPv6 needs brackets when a port follows
    if (port_text.empty() || port_text.size() > 5)
        return std::nullopt;
    uint32_t port = 0;
    for (char c : port_text) {
        if (c < '0' || c > '9')
            return std::nullopt;
        port = port * 10 + static_cast<uint32_t>(c - '0');
    }
    if (port > 65535)
        return std::nullopt;
    auto address = IpAddress::parse(host);
    if (!address)
        return std::nullopt;
    return Endpoint{*address, static_cast<uint16_t>(port)};
}

std::size_t hash_value(const IpAddress& a) {
    // FNV-1a over the address bytes and family.
    std::size_t h = 1469598103934665603ull ^ static_cast<std::size_t>(a.family());
    for (std::size_t i = 0; i < a.size(); ++i) {
        h ^= a.data()[i];
        h *= 1099511628211ull;
    }
    return h;
}

} // namespace rtc::util

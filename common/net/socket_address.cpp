#include "net/socket_address.hpp"

#include <netinet/in.h>

#include <cstring>

namespace rtc::net {

socklen_t to_sockaddr(const util::Endpoint& endpoint, sockaddr_storage& out) {
    std::memset(&out, 0, sizeof(out));
    if (endpoint.address.is_v4()) {
        sockaddr_in sin{};
        sin.sin_family = AF_INET;
        sin.sin_port = htons(endpoint.port);
        std::memcpy(&sin.sin_addr, endpoint.address.data(), 4);
        std::memcpy(&out, &sin, sizeof(sin));
        return sizeof(sin);
    }
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(endpoint.port);
    std::memcpy(&sin6.sin6_addr, endpoint.address.data(), 16);
    std::memcpy(&out, &sin6, sizeof(sin6));
    return sizeof(sin6);
}

std::optional<util::Endpoint> from_sockaddr(const sockaddr_storage& in, socklen_t length) {
    if (in.ss_family == AF_INET && length >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
        sockaddr_in sin;
        std::memcpy(&sin, &in, sizeof(sin));
        std::array<uint8_t, 4> bytes;
        std::memcpy(bytes.data(), &sin.sin_addr, 4);
        return util::Endpoint{util::IpAddress::v4(bytes), ntohs(sin.sin_port)};
    }
    if (in.ss_family == AF_INET6 && length >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
        sockaddr_in6 sin6;
        std::memcpy(&sin6, &in, sizeof(sin6));
        std::array<uint8_t, 16> bytes;
        std::memcpy(bytes.data(), &sin6.sin6_addr, 16);
        return util::Endpoint{util::IpAddress::v6(bytes), ntohs(sin6.sin6_port)};
    }
    return std::nullopt;
}

asio::ip::address to_asio(const util::IpAddress& address) {
    if (address.is_v4()) {
        asio::ip::address_v4::bytes_type b;
        std::memcpy(b.data(), address.data(), 4);
        return asio::ip::address_v4(b);
    }
    asio::ip::address_v6::bytes_type b;
    std::memcpy(b.data(), address.data(), 16);
    return asio::ip::address_v6(b);
}

util::IpAddress from_asio(const asio::ip::address& address) {
    if (address.is_v4()) {
        const auto b = address.to_v4().to_bytes();
        return util::IpAddress::v4(std::array<uint8_t, 4>{b[0], b[1], b[2], b[3]});
    }
    const auto b = address.to_v6().to_bytes();
    std::array<uint8_t, 16> bytes;
    std::memcpy(bytes.data(), b.data(), 16);
    return util::IpAddress::v6(bytes);
}

asio::ip::udp::endpoint to_udp(const util::Endpoint& endpoint) {
    return {to_asio(endpoint.address), endpoint.port};
}

asio::ip::tcp::endpoint to_tcp(const util::Endpoint& endpoint) {
    return {to_asio(endpoint.address), endpoint.port};
}

util::Endpoint from_asio(const asio::ip::udp::endpoint& endpoint) {
    return {from_asio(endpoint.address()), endpoint.port()};
}

util::Endpoint from_asio(const asio::ip::tcp::endpoint& endpoint) {
    return {from_asio(endpoint.address()), endpoint.port()};
}

} // namespace rtc::net

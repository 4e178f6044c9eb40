#pragma once
// Conversions between the shared value types (rtc::util::Endpoint) and the socket APIs.
//
//   sockaddr_storage ss;
//   socklen_t len = rtc::net::to_sockaddr(endpoint, ss);
//   ::sendto(fd, data, size, 0, reinterpret_cast<sockaddr*>(&ss), len);
//   std::optional<Endpoint> from = rtc::net::from_sockaddr(ss, len);
//   asio::ip::udp::endpoint e = rtc::net::to_udp(endpoint);
#include "util/ip_address.hpp"

#include <asio/ip/address.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>

#include <optional>
#include <sys/socket.h>

namespace rtc::net {

// Fills `out` (sockaddr_in or sockaddr_in6) and returns the length to pass to the kernel.
socklen_t to_sockaddr(const util::Endpoint& endpoint, sockaddr_storage& out);

// nullopt for families other than AF_INET/AF_INET6 or a length too short for the family.
std::optional<util::Endpoint> from_sockaddr(const sockaddr_storage& in, socklen_t length);

asio::ip::address to_asio(const util::IpAddress& address);
util::IpAddress from_asio(const asio::ip::address& address);

asio::ip::udp::endpoint to_udp(const util::Endpoint& endpoint);
asio::ip::tcp::endpoint to_tcp(const util::Endpoint& endpoint);
util::Endpoint from_asio(const asio::ip::udp::endpoint& endpoint);
util::Endpoint from_asio(const asio::ip::tcp::endpoint& endpoint);

} // namespace rtc::net

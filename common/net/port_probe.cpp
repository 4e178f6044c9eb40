#include "net/port_probe.hpp"

#include "net/socket_address.hpp"

#include <cerrno>
#include <string_view>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace rtc::net {

std::error_code probe_port_free(const util::Endpoint& endpoint, Protocol protocol) {
    if (endpoint.port == 0)
        return {};
    const int family = endpoint.address.is_v6() ? AF_INET6 : AF_INET;
    const int type = protocol == Protocol::Udp ? SOCK_DGRAM : SOCK_STREAM;
    const int fd = ::socket(family, type | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return {errno, std::system_category()};
    const int one = 1;
    if (family == AF_INET6) // as the real sockets bind: [::] and 0.0.0.0 are separate
        ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (protocol == Protocol::Tcp) // a listener's leftover TIME_WAIT connections do not count
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_storage address{};
    const socklen_t length = to_sockaddr(endpoint, address);
    std::error_code ec;
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), length) != 0)
        ec = {errno, std::system_category()};
    ::close(fd);
    return ec;
}

bool is_address_in_use(const std::error_code& ec) {
    return ec && ec.value() == EADDRINUSE &&
           (ec.category() == std::system_category() || ec.category() == std::generic_category() ||
            std::string_view(ec.category().name()) == "asio.system");
}

} // namespace rtc::net

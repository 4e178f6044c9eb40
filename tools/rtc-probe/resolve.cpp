#include "resolve.hpp"

#include "app/exit_codes.hpp"
#include "net/socket_address.hpp"

#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>

namespace rtc::probe_tool {

util::Endpoint resolve(const probe::ServerUrl& url, std::optional<util::Family> family) {
    if (auto ip = url.literal())
        return {*ip, url.port};
    asio::io_context io;
    asio::ip::udp::resolver resolver(io);
    std::error_code ec;
    auto results = resolver.resolve(url.host, std::to_string(url.port), ec);
    if (ec)
        throw app::ToolError("cannot resolve " + url.host + ": " + ec.message(),
                             "check the name and the DNS configuration");
    for (const auto& entry : results) {
        auto e = net::from_asio(entry.endpoint());
        if (!family || e.address.family() == *family)
            return e;
    }
    throw app::ToolError("cannot resolve " + url.host + ": no IPv" +
                             std::to_string(static_cast<int>(family.value_or(util::Family::V4))) +
                             " address",
                         "give a server of the same address family");
}

util::IpAddress local_address_towards(const util::Endpoint& to) {
    asio::io_context io;
    asio::ip::udp::socket socket(io);
    std::error_code ec;
    const auto remote = net::to_udp(to);
    socket.open(remote.protocol(), ec);
    if (!ec)
        socket.connect(remote, ec); // UDP: picks the route and source address, sends nothing
    asio::ip::udp::endpoint local;
    if (!ec)
        local = socket.local_endpoint(ec);
    if (ec)
        throw app::ToolError("no route to " + to.to_string() + ": " + ec.message(),
                             "check the network connection");
    return net::from_asio(local.address());
}

} // namespace rtc::probe_tool

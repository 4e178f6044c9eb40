#pragma once
// One worker thread's UDP side of rtc-stun: its own SO_REUSEPORT socket for every UDP address,
// answering each batch of datagrams through the shared Binding core. In RFC 5780 mode the four
// sockets form one group and a response may leave from any of them (CHANGE-REQUEST).
#include "stun/binding_server.hpp"
#include "stun/rate_limiter.hpp"
#include "stun_metrics.hpp"

#include "net/udp_batch_socket.hpp"

#include <asio/io_context.hpp>

#include <memory>
#include <optional>
#include <vector>

namespace rtc::stun_tool {

class UdpWorker {
public:
    // rfc5780: `endpoints` are the four addresses in BindingServerConfig::rfc5780 order and form
    // one group; otherwise each endpoint is served on its own.
    UdpWorker(asio::io_context& io, const std::vector<util::Endpoint>& endpoints, bool rfc5780,
              const stun::BindingServer& server, StunMetrics& metrics,
              std::optional<stun::RateLimiterConfig> rate_limit);

    // The bound addresses (port 0 resolved), in the order given.
    std::vector<util::Endpoint> local_endpoints() const;
    void start();
    void close();

private:
    void on_batch(std::size_t index, std::span<const net::ReceivedDatagram> batch);

    const stun::BindingServer& server_;
    StunMetrics& metrics_;
    bool rfc5780_;
    std::vector<std::shared_ptr<net::UdpBatchSocket>> sockets_;
    std::optional<stun::RateLimiter> limiter_;
    std::vector<uint8_t> out_; // one response at a time, allocated once
};

} // namespace rtc::stun_tool

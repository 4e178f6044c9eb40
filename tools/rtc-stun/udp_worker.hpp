#pragma once
// One worker thread's UDP side of rtc-stun: its own SO_REUSEPORT socket for every UDP address,
// answering each batch of datagrams through the thread's Responder. In RFC 5780 mode the four
// sockets form one group and a response may leave from any of them (CHANGE-REQUEST).
#include "responder.hpp"

#include "net/udp_batch_socket.hpp"

#include <asio/io_context.hpp>

#include <memory>
#include <vector>

namespace rtc::stun_tool {

class UdpWorker {
public:
    // rfc5780: `endpoints` are the four addresses in BindingServerConfig::rfc5780 order and form
    // one group; otherwise each endpoint is served on its own. Throws app::ToolError naming the
    // address that cannot be bound.
    UdpWorker(asio::io_context& io, const std::vector<util::Endpoint>& endpoints, bool rfc5780,
              Responder& responder);

    // The bound addresses (port 0 resolved), in the order given.
    std::vector<util::Endpoint> local_endpoints() const;
    void start();
    // Sends what is queued and closes; call on the worker's thread.
    void close();

private:
    void on_batch(std::size_t index, std::span<const net::ReceivedDatagram> batch);

    Responder& responder_;
    bool rfc5780_;
    std::vector<std::shared_ptr<net::UdpBatchSocket>> sockets_;
};

} // namespace rtc::stun_tool

#pragma once
// One worker thread's TCP, TLS and DTLS side of rtc-stun: an SO_REUSEPORT acceptor (or, for
// DTLS, an SO_REUSEPORT UDP socket behind a stateless cookie check) per address, and per
// connection a handler that cuts the byte stream into STUN messages (RFC 8489 §6.2.2; over DTLS
// each record carries one message, RFC 7350 §4) and answers each through the thread's Responder.
#include "responder.hpp"

#include "net/dtls_server.hpp"
#include "net/stream_server.hpp"

#include <asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

namespace rtc::tls {
class ReloadableContext;
}

namespace rtc::stun_tool {

struct StreamListen {
    util::Endpoint endpoint;
    bool tls = false;
    bool dtls = false; // DTLS over UDP (then `tls` is false)
};

class StreamWorker {
public:
    // Throws app::ToolError naming the address that cannot be bound.
    StreamWorker(asio::io_context& io, const std::vector<StreamListen>& listens,
                 Responder& responder, std::shared_ptr<tls::ReloadableContext> tls,
                 std::shared_ptr<tls::ReloadableContext> dtls = nullptr);

    // The bound addresses (port 0 resolved), in the order given.
    std::vector<StreamListen> local_endpoints() const;
    // Stops accepting and closes connections within `grace`; call on the worker's thread.
    void stop(std::chrono::milliseconds grace, std::function<void()> done);

private:
    Responder& responder_;
    std::vector<std::shared_ptr<net::StreamServer>> servers_;
    std::vector<std::shared_ptr<net::DtlsServer>> dtls_servers_;
    std::vector<StreamListen> listens_; // kind of each, in the order given
    std::vector<std::size_t> index_;    // into servers_ or dtls_servers_
};

} // namespace rtc::stun_tool

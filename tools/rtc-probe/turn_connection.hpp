#pragma once
// One connection of `rtc-probe turn` to the TURN server: a connected UDP socket, a TCP stream
// or TLS over TCP, each delivering whole frames (STUN messages or ChannelData, RFC 8656 §12.5
// framing on streams) to a callback. The caller drives the io_context (run_one_until) and
// bounds every wait.
#include "probe/transaction.hpp"
#include "util/ip_address.hpp"

#include <asio/io_context.hpp>

#include <functional>
#include <memory>
#include <span>
#include <string>

namespace rtc::tls {
class Context;
}

namespace rtc::probe_tool {

enum class TurnTransport : uint8_t { Udp, Tcp, Tls };

class TurnConnection {
public:
    using FrameHandler = std::function<void(std::span<const uint8_t>)>;
    virtual ~TurnConnection() = default;

    // Opens the socket and starts connecting (and the TLS handshake); ready() once done.
    static std::unique_ptr<TurnConnection> open(asio::io_context& io, TurnTransport transport,
                                                const util::Endpoint& server,
                                                std::shared_ptr<const tls::Context> tls,
                                                const std::string& server_name,
                                                FrameHandler on_frame);

    // Connected (and the TLS handshake done): frames can be sent.
    virtual bool ready() const = 0;
    // The connection failed or closed; error() says why.
    virtual bool failed() const = 0;
    virtual const std::string& error() const = 0;
    // True when it failed during the TLS handshake.
    virtual bool tls_failed() const = 0;
    virtual util::Endpoint local() const = 0;
    virtual void send(std::span<const uint8_t> frame) = 0;
    virtual void close() = 0;
};

} // namespace rtc::probe_tool

#pragma once
// RFC 6062 §5.4: after a successful ConnectionBind, a client data connection and its peer data
// connection are one raw byte pipe, with no STUN framing either way. Lives on the thread of
// the client data connection (a net::StreamConnection, TCP or TLS); the peer socket is adopted
// from a TcpHandoff, possibly made on another worker's thread.
//
// Output towards the client is bounded by the stream's own max_buffered_bytes; output towards
// the peer by kMaxQueuedBytes. Either overflow, or either side closing, closes both.
#include "tcp_relay.hpp"

#include "net/stream_server.hpp"

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

namespace rtc::turn_tool {

class TcpPipe : public std::enable_shared_from_this<TcpPipe> {
public:
    static constexpr std::size_t kMaxQueuedBytes = 256 * 1024;
    static constexpr std::size_t kReadSize = 16 * 1024;
    using Closed = std::function<void(turn::ConnectionId id)>;

    // Adopts the peer socket and starts: the bytes the peer sent before the bind go to the
    // client first. nullptr (the fd closed) when the socket cannot be adopted.
    static std::shared_ptr<TcpPipe> start(asio::io_context& io, turn::ConnectionId id,
                                          TcpHandoff handoff, net::StreamConnection& client,
                                          Closed on_closed);

    TcpPipe(asio::io_context& io, turn::ConnectionId id, net::StreamConnection& client,
            Closed on_closed);

    // Bytes from the client data connection, for the peer.
    void to_peer(std::span<const uint8_t> data);
    // Closes both sides; `notify` reports the close through on_closed.
    void close(bool notify);
    // The client data connection ended: the peer side closes once its queue is written.
    void client_gone();
    turn::ConnectionId id() const { return id_; }
    // When a byte last went either way (the idle timeout, --tcp-idle-timeout).
    std::chrono::steady_clock::time_point last_activity() const { return last_activity_; }

private:
    void read_peer();
    void write_peer();

    asio::ip::tcp::socket socket_;
    turn::ConnectionId id_;
    net::StreamConnection* client_; // null once the client connection is gone
    Closed on_closed_;
    std::vector<uint8_t> rx_;
    std::vector<uint8_t> queue_;   // waiting for the write in flight
    std::vector<uint8_t> sending_; // the write in flight
    std::chrono::steady_clock::time_point last_activity_;
    bool writing_ = false;
    bool closed_ = false;
    bool notified_ = false;
};

} // namespace rtc::turn_tool

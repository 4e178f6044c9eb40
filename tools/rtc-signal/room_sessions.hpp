#pragma once
// The bridge between WebSocket sessions and the sans-I/O cores (signal::Rooms and
// signal::PeerJsServer): one handler per socket that is also the core's PeerSink, and a driver
// that owns a core and its timer. Everything runs on the server's one io_context thread.
#include "net/http_server.hpp"
#include "signal/peerjs.hpp"
#include "signal/rooms.hpp"

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <memory>
#include <string>

namespace rtc::signal_tool {

// Runs a core's on_timer() at its next_deadline(); call rearm() after anything that may have
// moved the deadline.
template <class Core> class CoreDriver {
public:
    template <class... Args>
    CoreDriver(asio::io_context& io, Args&&... args)
        : core_(std::forward<Args>(args)...), timer_(io) {}
    Core& core() { return core_; }
    const Core& core() const { return core_; }
    void rearm() {
        const auto deadline = core_.next_deadline();
        if (!deadline) {
            timer_.cancel();
            armed_ = false;
            return;
        }
        if (armed_ && timer_.expiry() <= *deadline)
            return;
        armed_ = true;
        timer_.expires_at(*deadline);
        timer_.async_wait([this](const std::error_code& ec) {
            if (ec)
                return;
            armed_ = false;
            core_.on_timer(signal::Clock::now());
            rearm();
        });
    }
    void stop() {
        timer_.cancel();
        armed_ = false;
    }

private:
    Core core_;
    asio::steady_timer timer_;
    bool armed_ = false;
};

using RoomsDriver = CoreDriver<signal::Rooms>;
using PeerJsDriver = CoreDriver<signal::PeerJsServer>;

// A signaling WebSocket joined to a room.
class RoomSession final : public net::WebSocketHandler, public signal::PeerSink {
public:
    RoomSession(net::WebSocket& socket, RoomsDriver& rooms, const signal::Admission& admission);
    void on_message(std::string_view data, bool binary) override;
    void on_close(uint16_t code, std::string_view reason, bool clean) override;
    void send(std::string_view json_text) override;
    void close(uint16_t code, std::string_view reason) override;

private:
    net::WebSocket& socket_;
    RoomsDriver& rooms_;
    signal::ConnectionId id_ = 0;
};

// A PeerJS client's WebSocket.
class PeerJsSession final : public net::WebSocketHandler, public signal::PeerSink {
public:
    PeerJsSession(net::WebSocket& socket, PeerJsDriver& peers, std::string key, std::string id,
                  std::string token);
    void on_message(std::string_view data, bool binary) override;
    void on_close(uint16_t code, std::string_view reason, bool clean) override;
    void send(std::string_view json_text) override;
    void close(uint16_t code, std::string_view reason) override;

private:
    net::WebSocket& socket_;
    PeerJsDriver& peers_;
    std::optional<signal::ConnectionId> id_;
};

} // namespace rtc::signal_tool

#pragma once
// RFC 6062 TCP relays of one worker thread: a listening socket per TCP allocation, the
// connections to peers that Connect opens (§5.2) and the ones peers open to a relay (§5.3),
// each held until its ConnectionBind. Peer bytes received before the bind are buffered (up to
// kMaxPendingBytes, then reading pauses). A bound connection leaves this table as a TcpHandoff
// (its fd and the buffered bytes), which the worker holding the client data connection adopts.
//
// The core decides; this class only does the I/O: the worker reports accepts, connect outcomes
// and closes to the TurnServer through the callbacks. Everything runs on the worker's thread.
#include "turn/allocation_table.hpp"
#include "turn/tcp_connections.hpp"
#include "util/ip_address.hpp"

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <system_error>
#include <unordered_map>
#include <vector>

namespace rtc::turn_tool {

// An owned file descriptor (closed unless released), so a handoff dropped anywhere (a post that
// never runs at shutdown) leaks nothing.
class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept;
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd();
    int get() const { return fd_; }
    int release();

private:
    int fd_ = -1;
};

// A connected peer socket on its way to the thread of its client data connection.
struct TcpHandoff {
    UniqueFd fd;
    std::vector<uint8_t> buffered; // peer bytes that arrived before the bind
};

class TcpRelays {
public:
    // Relay ids of TCP listeners have this bit set, so they never collide with the UDP relay
    // sockets' ids (net::RelaySockets counts up from 1).
    static constexpr turn::RelayId kTcpRelayBit = 0x8000'0000u;
    static constexpr std::size_t kMaxPendingBytes = 64 * 1024;

    struct Callbacks {
        // A peer connected to relay `relay`: the core's connection id, or 0 to refuse it.
        std::function<turn::ConnectionId(turn::RelayId relay, const util::Endpoint& peer)> accepted;
        // The outcome of connect(); when it returns false the connection is dropped.
        std::function<bool(turn::ConnectionId id, bool connected)> connected;
        // A pending peer connection closed (or failed) before its bind.
        std::function<void(turn::ConnectionId id)> closed;
    };

    struct Listener {
        turn::RelayId id = 0;
        util::Endpoint local;
    };

    TcpRelays(asio::io_context& io, uint16_t min_port, uint16_t max_port, Callbacks callbacks);
    ~TcpRelays();
    TcpRelays(const TcpRelays&) = delete;
    TcpRelays& operator=(const TcpRelays&) = delete;

    static bool is_tcp_relay(turn::RelayId id) { return (id & kTcpRelayBit) != 0; }

    // RFC 6062 §5.1: a listening socket at a random port of the range on `address`.
    std::optional<Listener> listen(const util::IpAddress& address, std::error_code& ec);
    void close_listener(turn::RelayId id);

    // RFC 6062 §5.2: connects from the relay's address to `peer`; the outcome goes to
    // callbacks.connected. The core's connect timeout ends it through close().
    void connect(turn::ConnectionId id, turn::RelayId relay, const util::Endpoint& peer);
    // Closes a connecting or pending peer connection (no callback). False if unknown here.
    bool close(turn::ConnectionId id);
    // Takes a pending connection out for its bind.
    std::optional<TcpHandoff> take(turn::ConnectionId id);

    void close_all();
    std::size_t listeners() const { return listeners_.size(); }
    std::size_t connections() const { return links_.size(); }

private:
    struct ListenSocket;
    struct Link;
    void accept(const std::shared_ptr<ListenSocket>& l);
    void read(const std::shared_ptr<Link>& link);
    void drop(turn::ConnectionId id, bool notify);

    asio::io_context& io_;
    uint16_t min_port_, max_port_;
    Callbacks callbacks_;
    std::mt19937 rng_;
    turn::RelayId next_id_ = 1;
    std::unordered_map<turn::RelayId, std::shared_ptr<ListenSocket>> listeners_;
    std::unordered_map<turn::ConnectionId, std::shared_ptr<Link>> links_;
};

} // namespace rtc::turn_tool

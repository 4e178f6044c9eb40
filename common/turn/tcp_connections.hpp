#pragma once
// RFC 6062 TCP relay connections of TCP allocations, sans-I/O. The shell owns the sockets; this
// table holds what the core must remember about each peer data connection: which allocation
// (by relay) it belongs to, the peer, its state, and its deadline (connect or bind timeout).
//
// Connection ids (RFC 6062 §6.2.1 CONNECTION-ID) carry a shard number in their top 8 bits so a
// multi-threaded shell can route a ConnectionBind arriving on a new TCP connection to the core
// that issued the id (connection_id_shard()). The low 24 bits are a counter; ids in use are
// skipped on wrap-around, 0 is never issued.
#include "stun/message.hpp"
#include "turn/allocation_table.hpp"
#include "turn/credentials.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

namespace rtc::turn {

using ConnectionId = uint32_t;

constexpr uint8_t connection_id_shard(ConnectionId id) {
    return static_cast<uint8_t>(id >> 24);
}

enum class TcpConnectionState : uint8_t {
    Connecting, // Connect sent to the shell, waiting for its result (RFC 6062 §5.2)
    Pending,    // peer data connection up, waiting for ConnectionBind (§5.2, §5.3)
    Bound,      // spliced with a client data connection (§5.4)
    TimedOut,   // the connect timed out; its 447 answer waits in the server's queue
};

struct TcpConnection {
    ConnectionId id = 0;
    RelayId relay = 0; // the allocation's relay (for the peer's family)
    util::Endpoint peer;
    TcpConnectionState state = TcpConnectionState::Connecting;
    bool outbound = false; // made by Connect (else accepted from the peer)
    // Connecting: the Connect request, answered when the shell reports the outcome.
    bool integrity_sha256 = false;
    bool fingerprint = false;
    stun::TransactionId transaction{};
    LongTermKey key;
    Clock::time_point deadline = Clock::time_point::max(); // connect or bind timeout
};

class TcpConnectionTable {
public:
    explicit TcpConnectionTable(uint8_t shard = 0) : shard_(shard) {}

    // Adds a connection with a fresh id (set in the returned record). nullptr when every id of
    // the shard is in use.
    TcpConnection* add(TcpConnection connection);
    TcpConnection* find(ConnectionId id);
    // A connection of relay `relay` to `peer` that is connecting, pending or bound (RFC 6062
    // §5.2: a second Connect to the same peer is 446).
    const TcpConnection* find_by_peer(RelayId relay, const util::Endpoint& peer) const;
    std::size_t count_for_relay(RelayId relay) const;
    void erase(ConnectionId id);
    // Removes every connection of `relay`, appending their ids to `closed`.
    void erase_relay(RelayId relay, std::vector<ConnectionId>& closed);

    // Connections whose deadline passed: Connecting ones become TimedOut (appended to
    // `timed_out`, kept until the server has answered them), Pending ones are removed
    // (appended to `closed`).
    void on_timer(Clock::time_point now, std::vector<ConnectionId>& timed_out,
                  std::vector<ConnectionId>& closed);
    std::optional<Clock::time_point> next_deadline() const;
    void note_deadline(Clock::time_point t);

    std::size_t size() const { return by_id_.size(); }

private:
    uint8_t shard_;
    uint32_t counter_ = 0;
    std::unordered_map<ConnectionId, TcpConnection> by_id_;
    std::unordered_map<RelayId, std::vector<ConnectionId>> by_relay_;
    std::optional<Clock::time_point> deadline_;
};

} // namespace rtc::turn

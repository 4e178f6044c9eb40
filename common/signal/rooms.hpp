#pragma once
// Rooms of peers exchanging signaling messages (schema v1, see schema.hpp and man rtc-signal),
// sans-I/O: the tool feeds connections, messages and time; the core answers through PeerSink.
// One thread: every call comes from the same event loop.
//
//   rtc::signal::Rooms rooms(limits, "node-1", bus);     // bus may be null (single process)
//   auto admission = rooms.admit({.room = "r1", .peer_id = "alice"}, now);   // before upgrade
//   if (!admission.ok) refuse(admission.http_status, admission.error);
//   auto conn = rooms.attach(admission, sink, now);      // after upgrade: welcome is sent
//   rooms.on_message(conn, text, now);                   // every text message of that socket
//   rooms.on_disconnect(conn, /*clean=*/false, now);     // socket gone: grace for resume
//   rooms.on_timer(now);                                 // at next_deadline() or sooner
#include "signal/cluster.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace rtc::signal {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

struct RoomLimits {
    std::size_t max_rooms = 10000;
    std::size_t max_peers_per_room = 50;
    std::size_t max_message = 64 * 1024;    // bytes of one client message
    double messages_per_second = 50;        // per connection, token bucket rate
    double message_burst = 200;             // token bucket depth
    std::size_t max_violations = 20;        // bad/over-rate messages before close 1008
    std::chrono::milliseconds resume_grace{std::chrono::seconds(30)};
    std::size_t max_queued_messages = 100;  // per peer, while it is away
    std::size_t max_queued_bytes = 1024 * 1024;
};

// One connected WebSocket as the core sees it. Implemented by the tool; must stay valid until
// on_disconnect() for its connection returns.
class PeerSink {
public:
    virtual ~PeerSink() = default;
    virtual void send(std::string_view json_text) = 0;
    virtual void close(uint16_t code, std::string_view reason) = 0;
};

struct JoinRequest {
    std::string room;         // empty: the core makes a new room id
    std::string peer_id;      // empty: the core makes a peer id
    std::string resume_token; // non-empty: resume peer_id within its grace period
};

struct Admission {
    bool ok = false;
    int http_status = 200;  // when !ok: 400 bad room/id, 403 room full or too many rooms,
                            // 409 id taken, 410 nothing to resume (expired or wrong token)
    std::string error;      // when !ok: machine-readable code, e.g. "room-full", "id-taken"
    std::string room;       // when ok: the room and id the peer will have
    std::string peer_id;
    bool resume = false;
};

using ConnectionId = uint64_t;

struct RoomStats {
    uint64_t rooms = 0;            // gauge: rooms with at least one peer (local or remote)
    uint64_t peers = 0;            // gauge: peers connected here
    uint64_t away_peers = 0;       // gauge: peers here in their grace period
    uint64_t remote_peers = 0;     // gauge: peers known on other nodes
    uint64_t joins = 0, leaves = 0, resumes = 0;
    uint64_t relayed = 0;          // messages delivered to a peer (each recipient counts)
    uint64_t queued = 0;           // messages queued for an away peer
    uint64_t expired = 0;          // queued messages that expired (their sender was told)
    uint64_t drops_bad_json = 0, drops_bad_message = 0, drops_rate = 0, drops_too_big = 0,
             drops_unknown_peer = 0, drops_queue_full = 0;
    uint64_t cluster_in = 0, cluster_out = 0, cluster_bad = 0;
};

class Rooms {
public:
    // `node_id` names this process on the bus (unique per process); `bus` may be null.
    Rooms(RoomLimits limits, std::string node_id, ClusterBus* bus = nullptr);
    ~Rooms();
    Rooms(const Rooms&) = delete;
    Rooms& operator=(const Rooms&) = delete;

    // Would a join succeed now? Validates ids: 1-64 characters of [A-Za-z0-9._~-].
    Admission admit(const JoinRequest& request, TimePoint now);
    // Joins (or resumes) as admitted; sends "welcome" (and on resume what was queued), tells the
    // room "joined". If the state changed since admit(), sends an error and closes the sink.
    ConnectionId attach(const Admission& admission, PeerSink& sink, TimePoint now);
    // A text message from the connection.
    void on_message(ConnectionId connection, std::string_view text, TimePoint now);
    // Binary messages are not part of the schema: counted and answered with an error.
    void on_binary(ConnectionId connection, TimePoint now);
    // The socket is gone. clean (a Close 1000/1001 or a "leave" message): the peer leaves now;
    // otherwise it is away until resume_grace ends, and messages to it are queued.
    void on_disconnect(ConnectionId connection, bool clean, TimePoint now);
    // Expires grace periods and queued messages, publishes the roster on the bus.
    void on_timer(TimePoint now);
    std::optional<TimePoint> next_deadline() const;

    // The bus delivered another node's event / (re)connected (then the core re-announces).
    void on_cluster_event(std::string_view payload, TimePoint now);
    void on_cluster_connected(TimePoint now);

    // Graceful shutdown: every connected peer is closed with 1001.
    void close_all();

    RoomStats stats() const;
    const RoomLimits& limits() const;

    struct State;

private:
    std::unique_ptr<State> state_;
};

} // namespace rtc::signal

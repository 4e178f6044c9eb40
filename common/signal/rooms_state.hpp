#pragma once
// The private state of signal::Rooms, shared by rooms.cpp (local peers and messages) and
// rooms_cluster.cpp (other nodes). Not part of the public API.
#include "signal/cluster_event.hpp"
#include "signal/rooms.hpp"
#include "signal/schema.hpp"
#include "signal/token_bucket.hpp"

#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

namespace rtc::signal {

inline constexpr std::chrono::seconds kRosterInterval{5};
inline constexpr std::chrono::seconds kNodeTimeout{15}; // three rosters missed
inline constexpr std::size_t kRoomIdBytes = 12;         // 16 characters
inline constexpr std::size_t kPeerIdBytes = 9;          // 12 characters
inline constexpr std::size_t kResumeTokenBytes = 24;    // 32 characters, 192 bits

struct QueuedMessage {
    std::string text; // as it will be sent
    std::string from; // the sender's peer id (here or on another node)
    std::string of;   // the message type, for the expiry notice
    Json ref;         // the sender's "id", null when absent
};

struct LocalPeer {
    std::string resume_token;
    ConnectionId connection = 0; // 0 while away
    TimePoint away_until{};
    std::vector<QueuedMessage> queue; // while away; a vector does not allocate while empty
    std::size_t queued_bytes = 0;
};

struct Room {
    std::map<std::string, LocalPeer, std::less<>> local;
    std::map<std::string, std::string, std::less<>> remote; // peer -> node holding it
    bool empty() const { return local.empty() && remote.empty(); }
};

struct Connection {
    std::string room;
    std::string peer;
    PeerSink* sink = nullptr;
    TokenBucket<TimePoint> bucket;
    std::size_t violations = 0;
};

struct RemoteNode {
    TimePoint last_roster{};
    std::set<std::pair<std::string, std::string>> peers; // (room, peer)
};

using RoomMap = std::map<std::string, Room, std::less<>>;

struct Rooms::State {
    State(RoomLimits l, std::string node, ClusterBus* b)
        : limits(l), node_id(std::move(node)), bus(b) {}

    RoomLimits limits;
    std::string node_id;
    ClusterBus* bus;

    RoomMap rooms;
    std::unordered_map<ConnectionId, Connection> connections;
    std::set<std::tuple<TimePoint, std::string, std::string>> away_deadlines; // (when, room, peer)
    std::map<std::string, RemoteNode, std::less<>> nodes;
    std::optional<TimePoint> next_roster;
    ConnectionId next_connection = 1;
    RoomStats counters; // the counters; gauges are computed in stats()

    // rooms.cpp
    Admission admit(const JoinRequest& request);
    ConnectionId attach(const Admission& admission, PeerSink& sink, TimePoint now);
    void on_message(ConnectionId id, std::string_view text, TimePoint now);
    void on_binary(ConnectionId id);
    void on_disconnect(ConnectionId id, bool clean, TimePoint now);
    void expire_away(TimePoint now);
    void close_all();

    LocalPeer* find_local(std::string_view room, std::string_view peer);
    // Sends on a connection if it still exists (safe against sinks that re-enter on_disconnect).
    void send(ConnectionId id, std::string_view text);
    // The connected local peers of `room` other than `except`.
    std::vector<ConnectionId> room_connections(std::string_view room, std::string_view except);
    void tell_room(std::string_view room, std::string_view except, std::string_view text);
    std::vector<std::string> peer_list(const Room& room, std::string_view except) const;
    bool enqueue(LocalPeer& peer, std::string_view text, std::string_view from, std::string_view of,
                 const Json& ref);
    // A message from `from` (local or remote) to local peer `to`: sent, queued or refused.
    // Returns false when the queue was full.
    bool deliver_local(std::string_view room, std::string_view to, std::string_view text,
                       std::string_view from, std::string_view of, const Json& ref);
    void deliver_local_room(std::string_view room, std::string_view except, std::string_view text,
                            std::string_view from, std::string_view of, const Json& ref);
    // Tells `sender` (local or remote) that its message to `to` expired.
    void notify_expired(std::string_view room, std::string_view sender, std::string_view to,
                        const Json& ref, std::string_view of);
    void relay(ConnectionId id, ClientMessage& message);
    void refuse(ConnectionId id, std::string_view code, std::string_view text, const Json& ref,
                bool violation);
    // Removes a local peer (its connection, if any, must already be unregistered), tells the
    // room and the cluster, expires its queue.
    void remove_local(std::string_view room, std::string_view peer, std::string_view reason);
    void erase_room_if_empty(std::string_view room);
    // Unregisters and closes a connection whose peer is removed as "gone".
    void close_connection(ConnectionId id, uint16_t code, std::string_view reason);

    // rooms_cluster.cpp
    void publish(const std::string& payload);
    void publish_roster(TimePoint now);
    void on_cluster_event(std::string_view payload, TimePoint now);
    void on_cluster_connected(TimePoint now);
    void expire_nodes(TimePoint now);
    void add_remote(const std::string& node, const std::string& room, const std::string& peer,
                    bool notify);
    void remove_remote(const std::string& node, const std::string& room, const std::string& peer,
                       std::string_view reason);
    void forget_node(const std::string& node);
    void apply_roster(const std::string& node, const ClusterEvent& event);
    void apply_message(const ClusterEvent& event);
    std::size_t remote_peer_count() const;
    std::optional<TimePoint> cluster_deadline() const;
};

} // namespace rtc::signal

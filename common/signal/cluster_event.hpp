#pragma once
// The events signal::Rooms instances exchange over a ClusterBus (cluster.hpp).
//
// Bus schema, version 1: one compact JSON object per payload.
//   "v": 1                    schema version (any other value: counted bad, ignored)
//   "n": NODE                 the publishing node's id (1-128 characters)
//   "e": KIND                 "join" | "leave" | "away" | "back" | "msg" | "roster"
//   join/leave/away/back:     "r": ROOM, "p": PEER; leave adds "w": "leave" | "gone"
//   msg:                      "r": ROOM, "f": FROM (sender peer), "t": TO (absent: everyone
//                             in r on the receiving node but f), "o": TYPE of the message
//                             ("expired" for a notice that is never queued), "i": REF (the
//                             client's "id", optional), "m": TEXT (the message as sent to
//                             clients, "from" already stamped; one JSON object)
//   roster:                   "s": {ROOM: [PEER, ...], ...} every peer the node holds
//                             (connected or away); replaces what was known of that node
// Examples:
//   {"v":1,"n":"node-a","e":"join","r":"lobby","p":"alice"}
//   {"v":1,"n":"node-a","e":"msg","r":"lobby","f":"alice","t":"bob","o":"offer","i":7,"m":"{...}"}
//   {"v":1,"n":"node-a","e":"roster","s":{"lobby":["alice","carol"]}}
#include "signal/schema.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rtc::signal {

inline constexpr int kClusterSchemaVersion = 1;
inline constexpr std::size_t kMaxNodeIdLength = 128;

enum class ClusterEventKind : uint8_t { Join, Leave, Away, Back, Message, Roster };

struct ClusterEvent {
    ClusterEventKind kind = ClusterEventKind::Join;
    std::string node;
    std::string room;   // all but roster
    std::string peer;   // join, leave, away, back
    std::string reason; // leave: kLeftLeave or kLeftGone
    std::string from;   // msg
    std::string to;     // msg; empty: the room
    std::string of;     // msg: the message type
    Json ref;           // msg: null when absent
    std::string text;   // msg
    std::vector<std::pair<std::string, std::vector<std::string>>> roster; // roster
};

std::string encode_peer_event(ClusterEventKind kind, std::string_view node, std::string_view room,
                              std::string_view peer, std::string_view reason = {});
std::string encode_message_event(std::string_view node, std::string_view room,
                                 std::string_view from, std::string_view to, std::string_view of,
                                 const Json& ref, std::string_view text);
// Builds a roster as text: rooms in any order, each room's peers added together.
class RosterWriter {
public:
    explicit RosterWriter(std::string_view node);
    void begin_room(std::string_view room); // a valid_id()
    void add_peer(std::string_view peer);   // a valid_id(), after begin_room
    std::string finish();

private:
    std::string text_;
    bool first_room_ = true;
    bool first_peer_ = true;
};

// Validates everything (ids, kinds, version, sizes; "m" at most max_text bytes). Never throws.
std::optional<ClusterEvent> decode_cluster_event(std::string_view payload, std::size_t max_text);

} // namespace rtc::signal

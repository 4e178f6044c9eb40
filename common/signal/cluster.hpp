#pragma once
// How the room logic of several rtc-signal processes shares rooms and delivery: every node
// publishes events on one bus and receives every other node's events (Redis pub/sub in
// production, net/redis_bus; a plain loop in unit tests). The payloads are JSON text written
// and read only by signal::Rooms; the bus neither parses nor orders them beyond FIFO per node.
#include <string_view>

namespace rtc::signal {

class ClusterBus {
public:
    virtual ~ClusterBus() = default;
    // Sends to every node (the sender's own copy may come back; Rooms ignores it). Never blocks;
    // while the bus is down, events are dropped and counted by the bus.
    virtual void publish(std::string_view payload) = 0;
};

} // namespace rtc::signal

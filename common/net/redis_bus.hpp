#pragma once
// signal::ClusterBus over Redis pub/sub: every node PUBLISHes on and SUBSCRIBEs to one channel,
// `<prefix>:bus`, through two connections (RESP2: a subscribed connection cannot publish).
//
//   rtc::net::RedisBus bus(io, *rtc::net::RedisUrl::parse(flag), {.prefix = "rtc-signal"},
//       [&](std::string_view payload) { rooms.on_cluster_event(payload, Clock::now()); },
//       [&] { rooms.on_cluster_connected(Clock::now()); });
//   rtc::signal::Rooms rooms(limits, node_id, &bus);
//   bus.start();
//
// The bus is up when both connections are ready; `on_connected` runs each time it comes up
// (first connect and after every loss), so the caller can re-announce what others may have
// missed. While it is down, publish() drops and counts. Everything runs on the io_context's
// thread; stats() may be read from any thread.
#include "net/redis_client.hpp"
#include "signal/cluster.hpp"

#include <asio/io_context.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace rtc::net {

struct RedisBusOptions {
    std::string prefix = "rtc-signal"; // channel `<prefix>:bus`
    RedisClientOptions client;         // for both connections
};

struct RedisBusStats {
    uint64_t published = 0;  // events handed to Redis
    uint64_t received = 0;   // events delivered to on_event (the node's own come back too)
    uint64_t dropped = 0;    // events not published: bus down or output bound reached
    uint64_t reconnects = 0; // times the bus came back up after being down
    bool connected = false;  // gauge: both connections ready
};

class RedisBus final : public signal::ClusterBus {
public:
    using EventHandler = std::function<void(std::string_view payload)>;
    using ConnectedHandler = std::function<void()>;

    RedisBus(asio::io_context& io, const RedisUrl& url, RedisBusOptions options,
             EventHandler on_event, ConnectedHandler on_connected);
    ~RedisBus() override; // stops both connections; no callback runs afterwards
    RedisBus(const RedisBus&) = delete;
    RedisBus& operator=(const RedisBus&) = delete;

    void start();
    void stop();

    // PUBLISH `<prefix>:bus` payload; never blocks (ClusterBus contract).
    void publish(std::string_view payload) override;

    bool connected() const { return up_; }
    const std::string& channel() const { return channel_; }
    RedisBusStats stats() const;
    const RedisClient& publisher() const { return publisher_; }
    const RedisClient& subscriber() const { return subscriber_; }

private:
    void update();

    std::string channel_;
    EventHandler on_event_;
    ConnectedHandler on_connected_;
    bool up_ = false;
    bool was_up_ = false;
    std::atomic<uint64_t> published_{0}, received_{0}, dropped_{0}, reconnects_{0};
    std::atomic<bool> connected_{false};
    // Last: destroyed first, so their callbacks never see a half-destroyed bus.
    RedisClient publisher_;
    RedisClient subscriber_;
};

} // namespace rtc::net

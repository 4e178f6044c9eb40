#pragma once
// One worker thread of rtc-turn: its own TurnServer core, its relay sockets, an SO_REUSEPORT
// socket per UDP listen address and an acceptor per TCP/TLS address, so a client's five-tuple
// and its allocation's relays stay on this thread and need no lock (ARCHITECTURE principle 3).
#include "relay_allocator.hpp"
#include "turn_metrics.hpp"
#include "turn_options.hpp"

#include "net/relay_socket.hpp"
#include "net/stream_server.hpp"
#include "net/udp_batch_socket.hpp"
#include "turn/server.hpp"

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

namespace rtc::tls {
class ReloadableContext;
}

namespace rtc::turn_tool {

struct StreamListen {
    util::Endpoint endpoint;
    bool tls = false;
};

struct WorkerSetup {
    const TurnPlan& plan;
    std::shared_ptr<const turn::UserStore> users;
    const stun::BindingServer& binding;
    net::RelaySocketOptions relay_options;
    SharedQuota& quota;
    TurnMetrics& metrics;
    TurnMetrics::Snapshot& snapshot;
};

class TurnWorker {
public:
    TurnWorker(asio::io_context& io, const WorkerSetup& setup);
    ~TurnWorker();

    // Bind on this worker's thread's context; throw app::ToolError naming the address.
    void bind_udp(const std::vector<util::Endpoint>& endpoints);
    void bind_streams(const std::vector<StreamListen>& listens,
                      std::shared_ptr<tls::ReloadableContext> tls);
    std::vector<util::Endpoint> udp_endpoints() const;
    std::vector<StreamListen> stream_endpoints() const;

    void start();
    // On the worker's thread: stop listening, close relays, then call `done`.
    void stop(std::chrono::milliseconds grace, std::function<void()> done);
    // On the worker's thread: SIGHUP's new users (allocations stay).
    void set_users(std::shared_ptr<const turn::UserStore> users);

private:
    class StreamClient;
    friend class StreamClient;

    void on_udp(std::size_t index, std::span<const net::ReceivedDatagram> batch);
    void on_relay(net::RelaySockets::Id id, std::span<const net::RelayDatagram> batch);
    // Runs the core on one client message; replies through `reply`.
    void client_message(std::span<const uint8_t> bytes, const turn::FiveTuple& tuple,
                        const std::function<void(std::span<const uint8_t>)>& reply);
    void send_to_client(const turn::FiveTuple& tuple, std::span<const uint8_t> bytes);
    void arm_timer();
    void publish();

    asio::io_context& io_;
    TurnMetrics& metrics_;
    TurnMetrics::Snapshot& snapshot_;
    std::vector<uint8_t> out_; // one outgoing message at a time, allocated once
    net::RelaySockets relays_;
    RelayAllocator allocator_;
    turn::TurnServer server_;
    std::vector<std::shared_ptr<net::UdpBatchSocket>> udp_;
    std::vector<std::shared_ptr<net::StreamServer>> streams_;
    std::vector<bool> stream_tls_;
    std::unordered_map<turn::FiveTuple, net::StreamConnection*, turn::FiveTupleHash> connections_;
    asio::steady_timer timer_;
    bool stopping_ = false;
};

} // namespace rtc::turn_tool

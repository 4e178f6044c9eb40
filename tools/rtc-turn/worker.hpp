#pragma once
// One worker thread of rtc-turn: its own TurnServer core, its relay sockets, an SO_REUSEPORT
// socket per UDP listen address and an acceptor per TCP/TLS address, so a client's five-tuple
// and its allocation's relays stay on this thread and need no lock (ARCHITECTURE principle 3).
//
// RFC 6062: TCP relays and their peer connections live on the thread of their allocation, whose
// core issues connection ids carrying the worker's index (TurnServerConfig::connection_id_shard).
// A ConnectionBind that SO_REUSEPORT lands on another thread is posted to the owning worker; the
// owner answers it and posts back the response and the peer socket (a TcpHandoff), which the
// client data connection's thread adopts into a TcpPipe. Closes travel back the same way.
#include "relay_allocator.hpp"
#include "tcp_pipe.hpp"
#include "tcp_relay.hpp"
#include "turn_metrics.hpp"
#include "turn_options.hpp"

#include "net/dtls_server.hpp"
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
    bool datagram = false; // DTLS: one record carries one STUN or ChannelData message
};

class TurnWorker;

struct WorkerSetup {
    const TurnPlan& plan;
    std::shared_ptr<const turn::UserStore> users;
    const stun::BindingServer& binding;
    net::RelaySocketOptions relay_options;
    SharedQuota& quota;
    TurnMetrics& metrics;
    TurnMetrics::Snapshot& snapshot;
    std::size_t index = 0; // this worker's place in `workers`, its connection id shard
    // Every worker (filled before any starts), to post RFC 6062 binds and closes across threads.
    const std::vector<std::unique_ptr<TurnWorker>>* workers = nullptr;
};

// "tcp", "tls" or "dtls": the scheme a listener's URL is written with.
inline std::string_view scheme_of(const StreamListen& l) {
    return l.datagram ? "dtls" : l.tls ? "tls" : "tcp";
}

class TurnWorker {
public:
    TurnWorker(asio::io_context& io, const WorkerSetup& setup);
    ~TurnWorker();

    // Bind on this worker's thread's context; throw app::ToolError naming the address.
    void bind_udp(const std::vector<util::Endpoint>& endpoints);
    void bind_streams(const std::vector<StreamListen>& listens,
                      std::shared_ptr<tls::ReloadableContext> tls,
                      std::shared_ptr<tls::ReloadableContext> dtls);
    std::vector<util::Endpoint> udp_endpoints() const;
    std::vector<StreamListen> stream_endpoints() const;

    void start();
    // On the worker's thread: stop listening, close relays, then call `done`.
    void stop(std::chrono::milliseconds grace, std::function<void()> done);
    // On the worker's thread: SIGHUP's new users and REST secrets (allocations stay).
    void set_credentials(const turn::CredentialStore& credentials);

private:
    class StreamClient;
    friend class StreamClient;

    void on_udp(std::size_t index, std::span<const net::ReceivedDatagram> batch);
    void on_relay(net::RelaySockets::Id id, std::span<const net::RelayDatagram> batch);
    // The clocks, read once per batch of messages rather than per message.
    struct Now {
        std::chrono::steady_clock::time_point steady = std::chrono::steady_clock::now();
        std::chrono::system_clock::time_point wall = std::chrono::system_clock::now();
    };
    // Runs the core on one client message and carries out SendToPeer and ConnectToPeer. The
    // caller sends reply_of(action) to the client, then makes a BindConnection's connection a
    // pipe.
    turn::ClientAction client_message(std::span<const uint8_t> bytes, const turn::FiveTuple& tuple,
                                      const Now& now);
    // The reply of a SendToClient or BindConnection action (in out_), else empty.
    std::span<const uint8_t> reply_of(const turn::ClientAction& action) const;
    void send_action(const turn::PeerAction& action);
    // Sends the datagrams SendToPeer queued on the relay sockets.
    void flush_relays();

    // RFC 6062 plumbing (tcp_bind.cpp).
    turn::ConnectionId on_peer_accepted(turn::RelayId relay, const util::Endpoint& peer);
    bool on_peer_connected(turn::ConnectionId id, bool connected);
    void close_connection(turn::ConnectionId id); // the core's RelayAllocator::close_connection
    void forward_bind(StreamClient& client, std::span<const uint8_t> frame, std::size_t owner);
    void remote_bind(std::vector<uint8_t> frame, turn::FiveTuple tuple, std::size_t from,
                     uint64_t key);
    void bind_done(uint64_t key, std::vector<uint8_t> response, turn::ConnectionId id,
                   std::shared_ptr<TcpHandoff> handoff);
    std::shared_ptr<TcpPipe> start_pipe(StreamClient& client, turn::ConnectionId id,
                                        TcpHandoff handoff);
    void pipe_closed(turn::ConnectionId id);
    void remote_pipe_closed(turn::ConnectionId id);
    void close_pipe(turn::ConnectionId id);
    TurnWorker& worker(std::size_t index) { return *(*workers_)[index]; }
    void send_to_client(const turn::FiveTuple& tuple, std::span<const uint8_t> bytes);
    void arm_timer();
    void close_idle(std::chrono::steady_clock::time_point now);
    void publish();

    asio::io_context& io_;
    TurnMetrics& metrics_;
    TurnMetrics::Snapshot& snapshot_;
    std::vector<uint8_t> out_; // one outgoing message at a time, allocated once
    std::size_t index_;
    std::chrono::seconds tcp_idle_timeout_;
    const std::vector<std::unique_ptr<TurnWorker>>* workers_;
    net::RelaySockets relays_;
    TcpRelays tcp_;
    RelayAllocator allocator_;
    turn::TurnServer server_;
    std::vector<std::shared_ptr<net::UdpBatchSocket>> udp_;
    std::vector<std::shared_ptr<net::StreamServer>> streams_;
    std::vector<bool> stream_tls_;
    std::vector<std::shared_ptr<net::DtlsServer>> dtls_;
    std::unordered_map<turn::FiveTuple, StreamClient*, turn::FiveTupleHash> connections_;
    // RFC 6062: pipes on this thread; bound connections of this core piped on another thread
    // (id -> that worker); data connections waiting for another thread's bind answer.
    std::unordered_map<turn::ConnectionId, std::weak_ptr<TcpPipe>> pipes_;
    std::unordered_map<turn::ConnectionId, std::size_t> remote_pipes_;
    std::unordered_map<uint64_t, StreamClient*> pending_binds_;
    uint64_t next_bind_key_ = 1;
    asio::steady_timer timer_;
    bool stopping_ = false;
    bool relay_batch_ = false;        // in on_udp(), which flushes the relays' queue itself
    bool relay_flush_posted_ = false; // a flush_relays() is posted for queued datagrams
};

} // namespace rtc::turn_tool

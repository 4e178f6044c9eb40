#pragma once
// Sans-I/O TURN server core (RFC 8656, RFC 6156 address families, RFC 8489 long-term auth).
// The shell feeds it client datagrams/stream frames (handle_client) and datagrams arriving on
// relay sockets (handle_peer); the core writes at most one outgoing message into the caller's
// buffer and says where it goes. Relay sockets are opened and closed through the injected
// RelayAllocator. No heap allocation on the Send/Data/ChannelData paths.
//
// Decisions:
// - Unauthenticated requests cost no memory: 401 with REALM, a stateless NONCE and
//   PASSWORD-ALGORITHMS (RFC 8489 §9.2.3), rate limited per source (dropped beyond the limit).
// - Wrong integrity, unknown user and expired REST usernames get 401 (RFC 8489 §9.2.4);
//   a stale or foreign nonce gets 438 with a fresh one.
// - Requests on an existing allocation with another username get 441 (RFC 8656 §5).
// - Binding requests go to the shared stun::BindingServer.
// - Send indications and ChannelData without a permission/channel are dropped silently
//   (RFC 8656 §11.2, §12.6), counted in TurnCounters.
// - RFC 6062 TCP allocations (REQUESTED-TRANSPORT 6) when config.tcp_relay is set (else 442):
//   only over TCP/TLS (else 400). Connect yields a ConnectToPeer action; the shell reports the
//   outcome with handle_connect_result and the core answers with CONNECTION-ID or 447. Inbound
//   peer connections go through handle_peer_connection (ConnectionAttempt indication, or refused
//   without a permission). ConnectionBind yields BindConnection. Connect (30 s) and bind (30 s)
//   timeouts run in on_timer; timed-out Connects are answered through take_timer_response.
//   ChannelBind on a TCP allocation is 400; Send and ChannelData on one are dropped.
#include "stun/binding_server.hpp"
#include "stun/builder.hpp"
#include "stun/message.hpp"
#include "stun/rate_limiter.hpp"
#include "turn/allocation_table.hpp"
#include "turn/credentials.hpp"
#include "turn/nonce.hpp"
#include "turn/peer_filter.hpp"
#include "turn/tcp_connections.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace rtc::turn {

// What the shell provides: relay sockets. allocate() opens (binds) one and returns its id and
// address; release() closes it.
struct RelayRequest {
    util::Family family = util::Family::V4;
    bool even_port = false;                    // EVEN-PORT (RFC 8656 §14.6)
    bool reserve_next = false;                 // EVEN-PORT R bit: also reserve port + 1
    std::optional<uint64_t> reservation_token; // RESERVATION-TOKEN: use a reserved port
    uint8_t protocol = 17; // 17 UDP; 6 TCP (RFC 6062 §5.1: a listening TCP socket)
};
struct RelayGrant {
    Relay relay;
    std::optional<uint64_t> reservation_token; // set when reserve_next was honoured
};
class RelayAllocator {
public:
    virtual ~RelayAllocator() = default;
    virtual std::optional<RelayGrant> allocate(const RelayRequest& request) = 0;
    virtual void release(RelayId id) = 0;
    // RFC 6062: close the peer data connection `id` (and its client data connection once
    // bound), or abandon its connect attempt. Called on connect and bind timeouts and when the
    // allocation goes away. Shells without TCP relays need not override it.
    virtual void close_connection(ConnectionId id) { (void)id; }
};

struct TurnServerConfig {
    std::chrono::seconds default_lifetime{600}; // RFC 8656 §7.2
    std::chrono::seconds max_lifetime{3600};
    std::chrono::seconds permission_lifetime{300}; // RFC 8656 §9
    std::chrono::seconds channel_lifetime{600};    // RFC 8656 §12
    std::chrono::seconds nonce_lifetime{600};
    NonceManager::Key nonce_key{}; // random, shared by the worker threads
    bool ipv4_relay = true;        // families the shell can relay (RFC 6156)
    bool ipv6_relay = false;
    AllocationLimits limits;
    UserQuota* user_quota = nullptr; // shared per-user counts across workers (not owned)
    double bandwidth_bytes_per_second = 0; // per allocation; 0 = unlimited
    double bandwidth_burst_bytes = 0;      // 0 = one second's worth
    stun::RateLimiterConfig unauthorized_rate{20.0, 20.0, 65536, 64, 0}; // 401s per source
    std::optional<std::string> software;
    // RFC 6062 TCP allocations; the shell must then open TCP relays (RelayRequest::protocol),
    // carry out ConnectToPeer/BindConnection and override RelayAllocator::close_connection.
    bool tcp_relay = false;
    std::chrono::seconds tcp_connect_timeout{30}; // RFC 6062 §5.2: at least 30 s
    std::chrono::seconds tcp_bind_timeout{30};    // RFC 6062 §5.2, §5.3
    uint8_t connection_id_shard = 0;              // top byte of this core's connection ids
};

// Counters a metrics layer reads (monotonic, except the gauges noted).
struct TurnCounters {
    uint64_t requests = 0;
    uint64_t dropped_malformed = 0;  // not STUN/ChannelData, bad framing
    uint64_t dropped_unexpected = 0; // responses, unknown indications, unsupported methods
    uint64_t challenges = 0;         // 401 without credentials
    uint64_t challenges_rate_limited = 0;
    uint64_t auth_failures = 0;   // 401 with credentials (wrong key, unknown user, expired)
    uint64_t stale_nonces = 0;    // 438
    uint64_t error_responses = 0; // every error response, challenges included
    uint64_t allocations_created = 0;
    uint64_t allocations_deleted = 0; // refresh 0
    uint64_t allocations_expired = 0;
    uint64_t quota_rejections = 0; // 486, and 508 for the total or permission limits
    uint64_t forbidden_peers = 0;  // 403
    uint64_t permissions_created = 0;
    uint64_t channels_bound = 0;
    uint64_t packets_to_peer = 0;
    uint64_t bytes_to_peer = 0;
    uint64_t packets_to_client = 0;
    uint64_t bytes_to_client = 0;
    uint64_t dropped_no_permission = 0;
    uint64_t dropped_bandwidth = 0;
    uint64_t tcp_connects = 0;             // Connect requests handed to the shell (RFC 6062)
    uint64_t tcp_connect_failures = 0;     // 447 (failed or timed out)
    uint64_t tcp_connections_accepted = 0; // inbound peer connections announced
    uint64_t tcp_connections_refused = 0;  // inbound without permission, or over quota
    uint64_t tcp_connections_bound = 0;    // ConnectionBind successes
    uint64_t tcp_bind_timeouts = 0;        // peer data connections closed unbound after 30 s
};

struct ClientContext {
    FiveTuple five_tuple;
};

enum class ActionKind : uint8_t {
    None,         // nothing to send
    SendToClient, // `out.first(size)` to the five-tuple's client
    SendToPeer,   // `payload` from relay `relay` to `peer`
    // RFC 6062 §5.2: open a TCP connection from relay `relay` to `peer`, then report with
    // handle_connect_result(connection, ...). Nothing is sent now.
    ConnectToPeer,
    // RFC 6062 §5.4: send `out.first(size)` to the client, then this client connection carries
    // raw data to and from peer data connection `connection` (no more STUN framing).
    BindConnection,
};

struct ClientAction {
    ActionKind kind = ActionKind::None;
    std::size_t size = 0;             // SendToClient: bytes written into `out`
    RelayId relay = 0;                // SendToPeer
    util::Endpoint peer;              // SendToPeer
    std::span<const uint8_t> payload; // SendToPeer: a view into the received bytes
    bool dont_fragment = false;       // SendToPeer: set DF (RFC 8656 §14.8)
    uint16_t error_code = 0;          // the error response sent, if any
    ConnectionId connection = 0;      // ConnectToPeer, BindConnection
};

struct PeerAction {
    ActionKind kind = ActionKind::None; // SendToClient or None
    std::size_t size = 0;               // bytes written into `out`
    FiveTuple five_tuple;               // where (and over which transport) to send
};

// RFC 6062 §5.3: what to do with a TCP connection accepted on a relay.
struct PeerConnectionAction {
    ConnectionId connection = 0; // 0: refused, close it; else buffer its data until bound
    PeerAction send;             // the ConnectionAttempt indication for the control connection
};

class TurnServer {
public:
    // `relays` must outlive the server. Throws std::invalid_argument on a bad configuration.
    TurnServer(TurnServerConfig config, std::shared_ptr<CredentialStore> credentials,
               PeerFilter peer_filter, const stun::BindingServer& binding, RelayAllocator& relays);

    // One datagram, or one stream frame (stun::stream_frame_length), from a client. `out` should
    // hold at least 1500 bytes (responses are small).
    ClientAction handle_client(std::span<const uint8_t> bytes, const ClientContext& context,
                               Clock::time_point now, std::chrono::system_clock::time_point wall,
                               std::span<uint8_t> out);
    // A datagram received on relay socket `relay` from `peer`. `out` must hold bytes.size() + 36
    // (Data indication overhead for IPv6).
    PeerAction handle_peer(RelayId relay, const util::Endpoint& peer,
                           std::span<const uint8_t> bytes, Clock::time_point now,
                           std::span<uint8_t> out);

    // RFC 6062 §5.3: a TCP connection from `peer` accepted on TCP relay `relay`. `out` should
    // hold at least 100 bytes.
    PeerConnectionAction handle_peer_connection(RelayId relay, const util::Endpoint& peer,
                                                Clock::time_point now, std::span<uint8_t> out);
    // RFC 6062 §5.2: the outcome of a ConnectToPeer action: the Connect success response with
    // CONNECTION-ID, or 447. None for an unknown (timed out, deleted) id: if it connected, the
    // shell closes it.
    PeerAction handle_connect_result(ConnectionId id, bool connected, Clock::time_point now,
                                     std::span<uint8_t> out);
    // The shell saw peer data connection `id` (or its client data connection) close.
    void handle_connection_closed(ConnectionId id);
    // A client's TCP/TLS connection closed: its allocation is deleted (RFC 6062 §5, RFC 8656
    // §3.1), releasing relays and closing its peer connections.
    void handle_client_closed(const FiveTuple& five_tuple);

    // Expires allocations (releasing their relays), permissions, channels and RFC 6062
    // connections (connect and bind timeouts).
    void on_timer(Clock::time_point now);
    // After on_timer: the 447 answers of Connect requests that timed out, one per call, until
    // the kind is None.
    PeerAction take_timer_response(std::span<uint8_t> out);
    std::optional<Clock::time_point> next_deadline() const;

    const TurnCounters& counters() const { return counters_; }
    std::size_t allocation_count() const { return table_.size(); }
    const AllocationTable& table() const { return table_; }
    const TcpConnectionTable& tcp_connections() const { return tcp_; }
    CredentialStore& credentials() { return *credentials_; }

private:
    struct Request;
    ClientAction handle_request(const stun::MessageView& m, const ClientContext& context,
                                Clock::time_point now, std::chrono::system_clock::time_point wall,
                                std::span<uint8_t> out);
    ClientAction handle_send(const stun::MessageView& m, const ClientContext& context,
                             Clock::time_point now);
    ClientAction handle_channel_data(std::span<const uint8_t> bytes, const ClientContext& context,
                                     Clock::time_point now);
    ClientAction allocate(Request& r);
    ClientAction refresh(Request& r);
    ClientAction create_permission(Request& r);
    ClientAction channel_bind(Request& r);
    ClientAction connect(Request& r);
    ClientAction connection_bind(Request& r);
    void close_connections(std::vector<ConnectionId>& closed);
    stun::TransactionId next_indication_id();
    ClientAction error(Request& r, uint16_t code, bool with_nonce = false);
    ClientAction success(Request& r, stun::MessageBuilder& b);
    bool bandwidth_ok(Allocation& a, std::size_t bytes, Clock::time_point now);
    void release(std::vector<RelayId>& released);

    TurnServerConfig config_;
    std::shared_ptr<CredentialStore> credentials_;
    PeerFilter peer_filter_;
    const stun::BindingServer& binding_;
    RelayAllocator& relays_;
    NonceManager nonces_;
    stun::RateLimiter unauthorized_limiter_;
    AllocationTable table_;
    TurnCounters counters_;
    TcpConnectionTable tcp_;
    std::vector<RelayId> released_;                // scratch, reused
    std::vector<ConnectionId> closed_connections_; // scratch, reused
    std::vector<ConnectionId> timed_out_;          // Connects awaiting their 447
    uint64_t indications_sent_ = 0;                // Data indication transaction ids
};

} // namespace rtc::turn

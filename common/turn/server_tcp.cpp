// RFC 6062 (TURN extensions for TCP allocations) in the TURN server core: Connect,
// ConnectionBind, ConnectionAttempt, and the connect/bind timeouts. Allocate with
// REQUESTED-TRANSPORT=TCP is in server.cpp with the other Allocate checks.
#include "stun/address_attributes.hpp"
#include "stun/rfc8489_attributes.hpp"
#include "stun/turn_attributes.hpp"
#include "turn/server.hpp"
#include "turn/server_request.hpp"

namespace rtc::turn {

namespace {

using stun::MessageBuilder;
using stun::MessageClass;
using stun::Method;
namespace ec = stun::error_code;

bool over_stream(stun::Transport t) {
    return t == stun::Transport::Tcp || t == stun::Transport::Tls;
}

bool is_tcp(const Allocation& a) {
    return a.protocol == stun::RequestedTransport::kTcp;
}

// The deferred answer to a Connect request: CONNECTION-ID on success (RFC 6062 §5.2), else
// the error `code`, protected like the request was.
std::size_t answer_connect(const TcpConnection& c, uint16_t code,
                           const std::optional<std::string>& software, std::span<uint8_t> out) {
    MessageBuilder b(out, Method::Connect,
                     code == 0 ? MessageClass::SuccessResponse : MessageClass::ErrorResponse,
                     c.transaction);
    if (code == 0)
        b.add(stun::ConnectionId{c.id});
    else
        b.add(stun::ErrorCode{code, stun::default_reason(code)});
    if (software)
        b.add(stun::Software{*software});
    if (c.integrity_sha256)
        b.add_message_integrity_sha256(c.key.view());
    else
        b.add_message_integrity(c.key.view());
    if (c.fingerprint)
        b.add_fingerprint();
    return b.ok() ? b.size() : 0;
}

} // namespace

ClientAction TurnServer::connect(Request& r) {
    // RFC 6062 §5.2.
    if (!r.allocation)
        return error(r, ec::kAllocationMismatch);
    auto& a = *r.allocation;
    if (!is_tcp(a))
        return error(r, ec::kBadRequest);
    auto peer = r.m.get<stun::XorPeerAddress>();
    if (!peer)
        return error(r, ec::kBadRequest);
    const Relay* relay = a.relay_for(peer->endpoint.address.family());
    if (!relay)
        return error(r, ec::kPeerAddressFamilyMismatch);
    if (!peer_filter_.allowed(peer->endpoint.address)) {
        ++counters_.forbidden_peers;
        return error(r, ec::kForbidden);
    }
    // A Connect to this peer in progress, or its connection pending or bound: 446.
    if (tcp_.find_by_peer(relay->id, peer->endpoint))
        return error(r, ec::kConnectionAlreadyExists);
    std::size_t count = 0;
    for (std::size_t i = 0; i < a.relay_count; ++i)
        count += tcp_.count_for_relay(a.relays[i].id);
    TcpConnection c;
    c.relay = relay->id;
    c.peer = peer->endpoint;
    c.state = TcpConnectionState::Connecting;
    c.outbound = true;
    c.integrity_sha256 = r.integrity_sha256;
    c.fingerprint = r.m.has_fingerprint();
    c.transaction = r.m.transaction_id();
    c.key = *r.key;
    c.deadline = r.now + config_.tcp_connect_timeout;
    TcpConnection* added =
        count < table_.limits().max_connections_per_allocation ? tcp_.add(c) : nullptr;
    if (!added) {
        ++counters_.quota_rejections;
        return error(r, ec::kInsufficientCapacity);
    }
    ++counters_.tcp_connects;
    ClientAction action;
    action.kind = ActionKind::ConnectToPeer;
    action.relay = relay->id;
    action.peer = peer->endpoint;
    action.connection = added->id;
    return action;
}

ClientAction TurnServer::connection_bind(Request& r) {
    // RFC 6062 §5.4.
    if (!over_stream(r.context.five_tuple.transport))
        return error(r, ec::kBadRequest);
    if (r.allocation) // a control connection cannot become a data connection
        return error(r, ec::kConnectionAlreadyExists);
    auto id = r.m.get<stun::ConnectionId>();
    TcpConnection* c = id ? tcp_.find(id->id) : nullptr;
    const Allocation* owner = c ? table_.find_by_relay(c->relay) : nullptr;
    // Another user's connection is as unknown as a missing one.
    if (!c || !owner || owner->username != r.username)
        return error(r, ec::kBadRequest);
    switch (c->state) {
    case TcpConnectionState::Connecting:
        return error(r, ec::kBadRequest); // not a pending connection yet
    case TcpConnectionState::Bound:
        return error(r, ec::kConnectionAlreadyExists);
    case TcpConnectionState::TimedOut:
        return error(r, ec::kConnectionTimeoutOrFailure);
    case TcpConnectionState::Pending:
        break;
    }
    if (c->deadline <= r.now) { // the 30 s passed; on_timer has not run yet
        ConnectionId gone = c->id;
        tcp_.erase(gone);
        relays_.close_connection(gone);
        ++counters_.tcp_bind_timeouts;
        return error(r, ec::kConnectionTimeoutOrFailure);
    }
    MessageBuilder b(r.out, Method::ConnectionBind, MessageClass::SuccessResponse,
                     r.m.transaction_id());
    if (config_.software)
        b.add(stun::Software{*config_.software});
    auto action = success(r, b);
    if (action.kind != ActionKind::SendToClient)
        return action;
    c->state = TcpConnectionState::Bound;
    c->deadline = Clock::time_point::max();
    ++counters_.tcp_connections_bound;
    action.kind = ActionKind::BindConnection;
    action.connection = c->id;
    return action;
}

PeerConnectionAction TurnServer::handle_peer_connection(RelayId relay, const util::Endpoint& peer,
                                                        Clock::time_point now,
                                                        std::span<uint8_t> out) {
    // RFC 6062 §5.3: without a permission for the peer, the connection is closed at once.
    PeerConnectionAction result;
    auto* a = table_.find_by_relay(relay);
    if (!a || a->expiry <= now || !is_tcp(*a) || !a->permitted(peer.address, now)) {
        ++counters_.tcp_connections_refused;
        return result;
    }
    std::size_t count = 0;
    for (std::size_t i = 0; i < a->relay_count; ++i)
        count += tcp_.count_for_relay(a->relays[i].id);
    TcpConnection c;
    c.relay = relay;
    c.peer = peer;
    c.state = TcpConnectionState::Pending;
    c.deadline = now + config_.tcp_bind_timeout;
    TcpConnection* added =
        count < table_.limits().max_connections_per_allocation ? tcp_.add(c) : nullptr;
    if (!added) {
        ++counters_.tcp_connections_refused;
        return result;
    }
    // The ConnectionAttempt indication: XOR-PEER-ADDRESS and CONNECTION-ID.
    MessageBuilder b(out, Method::ConnectionAttempt, MessageClass::Indication,
                     next_indication_id());
    b.add(stun::XorPeerAddress{peer});
    b.add(stun::ConnectionId{added->id});
    if (!b.ok()) {
        tcp_.erase(added->id);
        ++counters_.tcp_connections_refused;
        return result;
    }
    ++counters_.tcp_connections_accepted;
    result.connection = added->id;
    result.send.kind = ActionKind::SendToClient;
    result.send.size = b.size();
    result.send.five_tuple = a->five_tuple;
    return result;
}

PeerAction TurnServer::handle_connect_result(ConnectionId id, bool connected, Clock::time_point now,
                                             std::span<uint8_t> out) {
    TcpConnection* c = tcp_.find(id);
    if (!c || c->state != TcpConnectionState::Connecting)
        return {};
    const Allocation* a = table_.find_by_relay(c->relay);
    if (!a) { // cannot happen: connections go with their relays
        tcp_.erase(id);
        return {};
    }
    PeerAction action;
    action.five_tuple = a->five_tuple;
    if (connected) {
        c->state = TcpConnectionState::Pending;
        c->deadline = now + config_.tcp_bind_timeout; // RFC 6062 §5.2: bind within 30 s
        tcp_.note_deadline(c->deadline);
        action.size = answer_connect(*c, 0, config_.software, out);
    } else {
        ++counters_.tcp_connect_failures;
        ++counters_.error_responses;
        action.size = answer_connect(*c, ec::kConnectionTimeoutOrFailure, config_.software, out);
        tcp_.erase(id);
    }
    if (action.size > 0)
        action.kind = ActionKind::SendToClient;
    return action;
}

PeerAction TurnServer::take_timer_response(std::span<uint8_t> out) {
    while (!timed_out_.empty()) {
        ConnectionId id = timed_out_.back();
        timed_out_.pop_back();
        TcpConnection* c = tcp_.find(id);
        if (!c || c->state != TcpConnectionState::TimedOut)
            continue; // its allocation went away meanwhile
        const Allocation* a = table_.find_by_relay(c->relay);
        PeerAction action;
        if (a) {
            action.five_tuple = a->five_tuple;
            action.size =
                answer_connect(*c, ec::kConnectionTimeoutOrFailure, config_.software, out);
            action.kind = action.size > 0 ? ActionKind::SendToClient : ActionKind::None;
            ++counters_.tcp_connect_failures;
            ++counters_.error_responses;
        }
        tcp_.erase(id);
        if (action.kind != ActionKind::None)
            return action;
    }
    return {};
}

void TurnServer::handle_connection_closed(ConnectionId id) {
    tcp_.erase(id);
}

void TurnServer::handle_client_closed(const FiveTuple& five_tuple) {
    if (!table_.find(five_tuple))
        return;
    released_.clear();
    table_.erase(five_tuple, released_);
    release(released_);
    ++counters_.allocations_deleted;
}

} // namespace rtc::turn

#include "signal/rooms.hpp"

#include "crypto/constant_time.hpp"
#include "signal/base64url.hpp"
#include "signal/rooms_state.hpp"

#include <algorithm>
#include <iterator>
#include <memory>

namespace rtc::signal {

namespace {

std::span<const uint8_t> bytes_of(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Why a join of `peer` to `room` cannot happen now, as (HTTP status, code); status 0 if it can.
std::pair<int, const char*> join_refusal(const RoomMap& rooms, const RoomLimits& limits,
                                         std::string_view room, std::string_view peer) {
    auto it = rooms.find(room);
    if (it == rooms.end())
        return rooms.size() >= limits.max_rooms ? std::pair{403, "too-many-rooms"}
                                                : std::pair{0, ""};
    const Room& r = it->second;
    if (!peer.empty() && (r.local.contains(peer) || r.remote.contains(peer)))
        return {409, "id-taken"};
    if (r.local.size() + r.remote.size() >= limits.max_peers_per_room)
        return {403, "room-full"};
    return {0, ""};
}

Admission refusal(int status, const char* error) {
    Admission a;
    a.ok = false;
    a.http_status = status;
    a.error = error;
    return a;
}

} // namespace

// ---- admission and attach ------------------------------------------------------------------

Admission Rooms::State::admit(const JoinRequest& request) {
    if (!request.resume_token.empty()) {
        if (!valid_id(request.room))
            return refusal(400, "bad-room");
        if (!valid_id(request.peer_id))
            return refusal(400, "bad-id");
        const LocalPeer* p = find_local(request.room, request.peer_id);
        if (p == nullptr ||
            !crypto::constant_time_equal(bytes_of(p->resume_token), bytes_of(request.resume_token)))
            return refusal(410, "cannot-resume");
        Admission a;
        a.ok = true;
        a.room = request.room;
        a.peer_id = request.peer_id;
        a.resume = true;
        return a;
    }

    std::string room = request.room;
    if (room.empty()) {
        // 96 random bits: a collision is not expected, but never hand out a taken room.
        for (int attempt = 0; attempt < 4 && (room.empty() || rooms.contains(room)); ++attempt)
            room = random_url_token(kRoomIdBytes);
        if (rooms.contains(room))
            return refusal(503, "try-again");
    } else if (!valid_id(room)) {
        return refusal(400, "bad-room");
    }
    if (!request.peer_id.empty() && !valid_id(request.peer_id))
        return refusal(400, "bad-id");
    if (auto [status, error] = join_refusal(rooms, limits, room, request.peer_id); status != 0)
        return refusal(status, error);

    std::string peer = request.peer_id;
    if (peer.empty()) {
        auto it = rooms.find(room);
        auto taken = [&](const std::string& id) {
            return it != rooms.end() &&
                   (it->second.local.contains(id) || it->second.remote.contains(id));
        };
        for (int attempt = 0; attempt < 4 && (peer.empty() || taken(peer)); ++attempt)
            peer = random_url_token(kPeerIdBytes);
        if (taken(peer))
            return refusal(503, "try-again");
    }
    Admission a;
    a.ok = true;
    a.room = std::move(room);
    a.peer_id = std::move(peer);
    return a;
}

ConnectionId Rooms::State::attach(const Admission& admission, PeerSink& sink, TimePoint now) {
    const ConnectionId id = next_connection++;
    auto fail = [&](std::string_view code) {
        sink.send(error_message(code, "cannot join", Json()));
        sink.close(1008, code);
        return id;
    };
    if (!admission.ok || !valid_id(admission.room) || !valid_id(admission.peer_id))
        return fail(admission.ok              ? std::string_view("bad-id")
                    : admission.error.empty() ? std::string_view("refused")
                                              : std::string_view(admission.error));
    const std::string& room = admission.room;
    const std::string& peer = admission.peer_id;

    if (admission.resume) {
        LocalPeer* p = find_local(room, peer);
        if (p == nullptr)
            return fail("cannot-resume");
        const bool was_away = p->connection == 0;
        PeerSink* replaced = nullptr;
        if (was_away) {
            away_deadlines.erase({p->away_until, room, peer});
        } else if (auto old = connections.find(p->connection); old != connections.end()) {
            // The same peer came back before its old socket was noticed dead: the new socket
            // (which proved the resume token) takes over.
            replaced = old->second.sink;
            connections.erase(old);
        }
        p->connection = id;
        p->resume_token = random_url_token(kResumeTokenBytes);
        std::vector<QueuedMessage> queued = std::move(p->queue);
        p->queue.clear();
        p->queued_bytes = 0;
        connections.emplace(id, Connection{room, peer, &sink,
                                           TokenBucket<TimePoint>(limits.message_burst, now), 0});
        ++counters.resumes;
        const auto peers = peer_list(rooms.find(room)->second, peer);
        sink.send(
            welcome_message(room, peer, peers, p->resume_token, true, limits.resume_grace.count()));
        for (const auto& q : queued) {
            send(id, q.text);
            ++counters.relayed;
        }
        if (was_away) {
            publish(encode_peer_event(ClusterEventKind::Back, node_id, room, peer));
            tell_room(room, peer, back_message(peer));
        }
        if (replaced != nullptr)
            replaced->close(1000, "resumed on another connection");
        return id;
    }

    if (auto [status, error] = join_refusal(rooms, limits, room, peer); status != 0)
        return fail(error);
    Room& r = rooms[room];
    LocalPeer& p = r.local[peer];
    p.connection = id;
    p.resume_token = random_url_token(kResumeTokenBytes);
    connections.emplace(
        id, Connection{room, peer, &sink, TokenBucket<TimePoint>(limits.message_burst, now), 0});
    ++counters.joins;
    const auto peers = peer_list(r, peer);
    sink.send(
        welcome_message(room, peer, peers, p.resume_token, false, limits.resume_grace.count()));
    publish(encode_peer_event(ClusterEventKind::Join, node_id, room, peer));
    tell_room(room, peer, joined_message(peer));
    return id;
}

// ---- messages ------------------------------------------------------------------------------

namespace {

// What one relay needs besides the scanner, lent out per message (see Lease below).
struct RelayScratch {
    ClientMessageScanner scanner;
    std::string room; // copies: sends may re-enter on_disconnect and erase the connection
    std::string from;
};

// The thread's RelayScratch for one message, so its buffers are reused from message to message.
// A sink that re-enters on_message() while the relayed text is being sent finds none lent and
// gets a fresh one instead of overwriting what is being sent.
class Lease {
public:
    Lease() : scratch_(spare_ ? std::move(spare_) : std::make_unique<RelayScratch>()) {}
    ~Lease() {
        if (!spare_)
            spare_ = std::move(scratch_);
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    RelayScratch& operator*() { return *scratch_; }

private:
    std::unique_ptr<RelayScratch> scratch_;
    static thread_local std::unique_ptr<RelayScratch> spare_;
};

thread_local std::unique_ptr<RelayScratch> Lease::spare_;

// The client's "id" of a relayed message, as a value only when one is needed (a queued message,
// an error, the bus): the relay path keeps it as text.
class LazyRef {
public:
    LazyRef(const LazyRef&) = delete;
    LazyRef& operator=(const LazyRef&) = delete;
    explicit LazyRef(const Json& value) : value_(&value) {}
    explicit LazyRef(const ClientMessageScanner& scanner) : scanner_(&scanner) {}
    const Json& get() {
        if (value_ == nullptr) {
            owned_ = scanner_->ref();
            value_ = &owned_;
        }
        return *value_;
    }

private:
    const Json* value_ = nullptr;
    const ClientMessageScanner* scanner_ = nullptr;
    Json owned_;
};

// Sends `text` (stamped already) from `from` to `to` (empty: the room), here or over the bus.
void relay_text(Rooms::State& s, ConnectionId id, const std::string& room, const std::string& from,
                MessageType type, std::string_view to, std::string_view text, LazyRef& ref) {
    const std::string_view of = to_string(type);
    if (to.empty()) {
        s.deliver_local_room(room, from, text, from, of, ref.get());
        auto r = s.rooms.find(room);
        if (r != s.rooms.end() && !r->second.remote.empty())
            s.publish(encode_message_event(s.node_id, room, from, {}, of, ref.get(), text));
        return;
    }
    auto r = s.rooms.find(room);
    if (r == s.rooms.end())
        return;
    if (auto p = r->second.local.find(to); p != r->second.local.end()) {
        if (p->second.connection != 0) {
            // The common case: the peer is here and connected.
            s.send(p->second.connection, text);
            ++s.counters.relayed;
        } else if (!s.deliver_local(room, to, text, from, of, ref.get())) {
            s.refuse(id, error_code::kQueueFull, "the peer is away and its queue is full",
                     ref.get(), false);
        }
    } else if (r->second.remote.contains(to)) {
        s.publish(encode_message_event(s.node_id, room, from, to, of, ref.get(), text));
    } else {
        ++s.counters.drops_unknown_peer;
        s.refuse(id, error_code::kUnknownPeer, "no such peer in this room", ref.get(), false);
    }
}

} // namespace

void Rooms::State::on_message(ConnectionId id, std::string_view text, TimePoint now) {
    auto it = connections.find(id);
    if (it == connections.end())
        return;
    Connection& c = it->second;
    if (text.size() > limits.max_message) {
        ++counters.drops_too_big;
        refuse(id, error_code::kTooBig, "message too big", Json(), true);
        return;
    }
    if (!c.bucket.take(limits.messages_per_second, limits.message_burst, now)) {
        ++counters.drops_rate;
        refuse(id, error_code::kRateLimited, "too many messages per second", Json(), true);
        return;
    }
    const auto leave = [&] {
        std::string room = c.room;
        std::string peer = c.peer;
        PeerSink* sink = c.sink;
        connections.erase(it);
        remove_local(room, peer, kLeftLeave);
        sink->close(1000, "leave");
    };
    const auto count_refusal = [&](std::string_view code) {
        if (code == error_code::kBadJson)
            ++counters.drops_bad_json;
        else
            ++counters.drops_bad_message;
    };

    // The relay path: one scan over the text, no DOM (schema.hpp); rare shapes take the DOM.
    Lease lease;
    RelayScratch& scratch = *lease;
    ClientMessageScanner& scanner = scratch.scanner;
    switch (scanner.scan(text, c.peer)) {
    case ClientMessageScanner::Verdict::Refuse:
        count_refusal(scanner.error_code());
        refuse(id, scanner.error_code(), scanner.error_text(), scanner.ref(), true);
        return;
    case ClientMessageScanner::Verdict::Relay: {
        if (scanner.type() == MessageType::Leave) {
            leave();
            return;
        }
        scratch.room.assign(c.room);
        scratch.from.assign(c.peer);
        LazyRef ref(scanner);
        relay_text(*this, id, scratch.room, scratch.from, scanner.type(), scanner.to(),
                   scanner.relayed(), ref);
        return;
    }
    case ClientMessageScanner::Verdict::UseDom:
        break;
    }

    ParseResult parsed = parse_client_message(text);
    if (!parsed.message) {
        count_refusal(parsed.error_code);
        refuse(id, parsed.error_code, parsed.error_text, parsed.ref, true);
        return;
    }
    if (parsed.message->type == MessageType::Leave) {
        leave();
        return;
    }
    relay(id, *parsed.message);
}

void Rooms::State::on_binary(ConnectionId id) {
    if (!connections.contains(id))
        return;
    ++counters.drops_bad_message;
    refuse(id, error_code::kBadMessage, "binary messages are not part of the schema", Json(), true);
}

// The DOM path (rare shapes, see ClientMessageScanner).
void Rooms::State::relay(ConnectionId id, ClientMessage& message) {
    auto it = connections.find(id);
    if (it == connections.end())
        return;
    // Copies: the sends may re-enter on_disconnect and erase the connection.
    const std::string room = it->second.room;
    const std::string from = it->second.peer;
    // The server stamps the sender; a client's own "from" is replaced.
    const std::string text = stamp_from(message.body, from);
    LazyRef ref(message.ref);
    relay_text(*this, id, room, from, message.type, message.to, text, ref);
}

void Rooms::State::refuse(ConnectionId id, std::string_view code, std::string_view text,
                          const Json& ref, bool violation) {
    send(id, error_message(code, text, ref));
    if (!violation)
        return;
    auto it = connections.find(id);
    if (it == connections.end())
        return;
    if (++it->second.violations >= limits.max_violations)
        close_connection(id, 1008, "too many bad messages");
}

void Rooms::State::close_connection(ConnectionId id, uint16_t code, std::string_view reason) {
    auto it = connections.find(id);
    if (it == connections.end())
        return;
    std::string room = it->second.room;
    std::string peer = it->second.peer;
    PeerSink* sink = it->second.sink;
    connections.erase(it);
    remove_local(room, peer, kLeftGone);
    sink->close(code, reason);
}

// ---- delivery ------------------------------------------------------------------------------

LocalPeer* Rooms::State::find_local(std::string_view room, std::string_view peer) {
    auto r = rooms.find(room);
    if (r == rooms.end())
        return nullptr;
    auto p = r->second.local.find(peer);
    return p == r->second.local.end() ? nullptr : &p->second;
}

void Rooms::State::send(ConnectionId id, std::string_view text) {
    auto it = connections.find(id);
    if (it != connections.end())
        it->second.sink->send(text);
}

std::vector<ConnectionId> Rooms::State::room_connections(std::string_view room,
                                                         std::string_view except) {
    std::vector<ConnectionId> ids;
    auto r = rooms.find(room);
    if (r == rooms.end())
        return ids;
    for (const auto& [name, peer] : r->second.local)
        if (peer.connection != 0 && name != except)
            ids.push_back(peer.connection);
    return ids;
}

void Rooms::State::tell_room(std::string_view room, std::string_view except,
                             std::string_view text) {
    for (const ConnectionId id : room_connections(room, except))
        send(id, text);
}

std::vector<std::string> Rooms::State::peer_list(const Room& room, std::string_view except) const {
    std::vector<std::string> ids;
    ids.reserve(room.local.size() + room.remote.size());
    auto l = room.local.begin();
    auto r = room.remote.begin();
    // Both maps are sorted: merge them, a peer claimed by both sides once.
    while (l != room.local.end() || r != room.remote.end()) {
        const std::string* next = nullptr;
        if (r == room.remote.end() || (l != room.local.end() && l->first <= r->first)) {
            next = &l->first;
            if (r != room.remote.end() && r->first == l->first)
                ++r;
            ++l;
        } else {
            next = &r->first;
            ++r;
        }
        if (*next != except)
            ids.push_back(*next);
    }
    return ids;
}

bool Rooms::State::enqueue(LocalPeer& peer, std::string_view text, std::string_view from,
                           std::string_view of, const Json& ref) {
    if (peer.queue.size() >= limits.max_queued_messages ||
        peer.queued_bytes + text.size() > limits.max_queued_bytes) {
        ++counters.drops_queue_full;
        return false;
    }
    peer.queue.push_back(QueuedMessage{std::string(text), std::string(from), std::string(of), ref});
    peer.queued_bytes += text.size();
    ++counters.queued;
    return true;
}

bool Rooms::State::deliver_local(std::string_view room, std::string_view to, std::string_view text,
                                 std::string_view from, std::string_view of, const Json& ref) {
    LocalPeer* p = find_local(room, to);
    if (p == nullptr)
        return true;
    if (p->connection != 0) {
        send(p->connection, text);
        ++counters.relayed;
        return true;
    }
    if (of == "expired")
        return true; // notices go only to peers that are there
    return enqueue(*p, text, from, of, ref);
}

void Rooms::State::deliver_local_room(std::string_view room, std::string_view except,
                                      std::string_view text, std::string_view from,
                                      std::string_view of, const Json& ref) {
    auto r = rooms.find(room);
    if (r == rooms.end())
        return;
    std::vector<ConnectionId> ids;
    for (auto& [name, peer] : r->second.local) {
        if (name == except)
            continue;
        if (peer.connection != 0)
            ids.push_back(peer.connection);
        else
            enqueue(peer, text, from, of, ref); // a full queue drops (counted) for broadcasts
    }
    for (const ConnectionId id : ids) {
        send(id, text);
        ++counters.relayed;
    }
}

void Rooms::State::notify_expired(std::string_view room, std::string_view sender,
                                  std::string_view to, const Json& ref, std::string_view of) {
    const std::string text = expired_message(to, ref, of);
    if (LocalPeer* p = find_local(room, sender)) {
        if (p->connection != 0)
            send(p->connection, text);
        return;
    }
    auto r = rooms.find(room);
    if (r != rooms.end() && r->second.remote.contains(sender))
        publish(encode_message_event(node_id, room, to, sender, "expired", Json(), text));
}

// ---- leaving -------------------------------------------------------------------------------

void Rooms::State::remove_local(std::string_view room_in, std::string_view peer_in,
                                std::string_view reason) {
    // Copies: the views may point into the entry erased below.
    const std::string room(room_in);
    const std::string peer(peer_in);
    auto r = rooms.find(room);
    if (r == rooms.end())
        return;
    auto p = r->second.local.find(peer);
    if (p == r->second.local.end())
        return;
    if (p->second.connection == 0)
        away_deadlines.erase({p->second.away_until, room, peer});
    std::vector<QueuedMessage> queue = std::move(p->second.queue);
    r->second.local.erase(p);
    ++counters.leaves;
    publish(encode_peer_event(ClusterEventKind::Leave, node_id, room, peer, reason));
    tell_room(room, peer, left_message(peer, reason));
    // Queued messages die with the peer; their senders learn which (schema "expired").
    for (const auto& q : queue) {
        ++counters.expired;
        notify_expired(room, q.from, peer, q.ref, q.of);
    }
    erase_room_if_empty(room);
}

void Rooms::State::erase_room_if_empty(std::string_view room) {
    auto r = rooms.find(room);
    if (r != rooms.end() && r->second.empty())
        rooms.erase(r);
}

void Rooms::State::on_disconnect(ConnectionId id, bool clean, TimePoint now) {
    auto it = connections.find(id);
    if (it == connections.end())
        return;
    const std::string room = it->second.room;
    const std::string peer = it->second.peer;
    connections.erase(it);
    if (clean || limits.resume_grace.count() <= 0) {
        remove_local(room, peer, clean ? kLeftLeave : kLeftGone);
        return;
    }
    LocalPeer* p = find_local(room, peer);
    if (p == nullptr || p->connection != id)
        return;
    p->connection = 0;
    p->away_until = now + limits.resume_grace;
    away_deadlines.emplace(p->away_until, room, peer);
    publish(encode_peer_event(ClusterEventKind::Away, node_id, room, peer));
    tell_room(room, peer, away_message(peer));
}

void Rooms::State::expire_away(TimePoint now) {
    // Each pass erases the first deadline, so this ends.
    while (!away_deadlines.empty()) {
        auto first = away_deadlines.begin();
        if (std::get<0>(*first) > now)
            break;
        const std::string room = std::get<1>(*first);
        const std::string peer = std::get<2>(*first);
        away_deadlines.erase(first);
        const LocalPeer* p = find_local(room, peer);
        if (p != nullptr && p->connection == 0)
            remove_local(room, peer, kLeftGone);
    }
}

void Rooms::State::close_all() {
    std::vector<PeerSink*> sinks;
    sinks.reserve(connections.size());
    for (auto& [id, c] : connections)
        sinks.push_back(c.sink);
    connections.clear();
    away_deadlines.clear();
    for (auto r = rooms.begin(); r != rooms.end();) {
        for (const auto& [peer, p] : r->second.local) {
            ++counters.leaves;
            publish(encode_peer_event(ClusterEventKind::Leave, node_id, r->first, peer, kLeftGone));
        }
        r->second.local.clear();
        r = r->second.empty() ? rooms.erase(r) : std::next(r);
    }
    for (PeerSink* sink : sinks)
        sink->close(1001, "server shutdown");
}

// ---- the public class ----------------------------------------------------------------------

Rooms::Rooms(RoomLimits limits, std::string node_id, ClusterBus* bus)
    : state_(std::make_unique<State>(limits, std::move(node_id), bus)) {}

Rooms::~Rooms() = default;

Admission Rooms::admit(const JoinRequest& request, TimePoint) {
    return state_->admit(request);
}

ConnectionId Rooms::attach(const Admission& admission, PeerSink& sink, TimePoint now) {
    return state_->attach(admission, sink, now);
}

void Rooms::on_message(ConnectionId connection, std::string_view text, TimePoint now) {
    state_->on_message(connection, text, now);
}

void Rooms::on_binary(ConnectionId connection, TimePoint) {
    state_->on_binary(connection);
}

void Rooms::on_disconnect(ConnectionId connection, bool clean, TimePoint now) {
    state_->on_disconnect(connection, clean, now);
}

void Rooms::on_timer(TimePoint now) {
    state_->expire_away(now);
    state_->expire_nodes(now);
    if (state_->bus != nullptr && (!state_->next_roster || now >= *state_->next_roster))
        state_->publish_roster(now);
}

std::optional<TimePoint> Rooms::next_deadline() const {
    std::optional<TimePoint> deadline = state_->cluster_deadline();
    if (!state_->away_deadlines.empty()) {
        const TimePoint t = std::get<0>(*state_->away_deadlines.begin());
        if (!deadline || t < *deadline)
            deadline = t;
    }
    return deadline;
}

void Rooms::on_cluster_event(std::string_view payload, TimePoint now) {
    state_->on_cluster_event(payload, now);
}

void Rooms::on_cluster_connected(TimePoint now) {
    state_->on_cluster_connected(now);
}

void Rooms::close_all() {
    state_->close_all();
}

RoomStats Rooms::stats() const {
    RoomStats s = state_->counters;
    s.rooms = state_->rooms.size();
    s.peers = state_->connections.size();
    s.away_peers = state_->away_deadlines.size();
    s.remote_peers = state_->remote_peer_count();
    return s;
}

const RoomLimits& Rooms::limits() const {
    return state_->limits;
}

} // namespace rtc::signal

#include "signal/peerjs.hpp"

#include "crypto/constant_time.hpp"
#include "crypto/random.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <functional>
#include <iterator>
#include <list>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace rtc::signal {

namespace {

using Json = nlohmann::json;

constexpr std::string_view kOpenMessage = R"({"type":"OPEN"})";
constexpr uint16_t kCloseNormal = 1000;
constexpr uint16_t kCloseGoingAway = 1001;
// Deeper nesting than any PeerJS payload needs; keeps the recursive serialiser's stack small.
constexpr std::size_t kMaxDepth = 64;

// The texts of peer 1.0.2 (its Errors enum), and ours for ids it would take blindly.
constexpr std::string_view kErrorParams = "No id, token, or key supplied to websocket server";
constexpr std::string_view kErrorKey = "Invalid key provided";
constexpr std::string_view kErrorLimit = "Server has reached its concurrent user limit";
constexpr std::string_view kErrorToken = "Invalid token provided";
constexpr std::string_view kErrorId = "Invalid id provided";
constexpr std::string_view kIdTaken = "ID is taken";

enum class MessageType { Heartbeat, Offer, Answer, Candidate, Leave, Expire, Unknown };

MessageType message_type(std::string_view type) {
    if (type == "HEARTBEAT")
        return MessageType::Heartbeat;
    if (type == "OFFER")
        return MessageType::Offer;
    if (type == "ANSWER")
        return MessageType::Answer;
    if (type == "CANDIDATE")
        return MessageType::Candidate;
    if (type == "LEAVE")
        return MessageType::Leave;
    if (type == "EXPIRE")
        return MessageType::Expire;
    return MessageType::Unknown;
}

// Ids and tokens: 1..max bytes of printable ASCII (peerjs makes [A-Za-z0-9 _-] ids and uuids;
// peer itself takes any string, which we do not need to).
bool valid_id(std::string_view text, std::size_t max_length) {
    if (text.empty() || text.size() > max_length)
        return false;
    for (char c : text) {
        if (c < 0x20 || c > 0x7e)
            return false;
    }
    return true;
}

// RFC 8259 §7: quotation mark, reverse solidus and control characters are escaped; other
// bytes (UTF-8 already checked by the parser or printable ASCII) pass through.
void append_json_string(std::string& out, std::string_view text) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    for (char c : text) {
        auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (byte < 0x20) {
            out += "\\u00";
            out += kHex[byte >> 4];
            out += kHex[byte & 0x0f];
        } else {
            out += c;
        }
    }
    out += '"';
}

// True when arrays/objects nest at most `limit` deep (brackets inside strings do not count).
// Malformed text may pass: the parser rejects it afterwards.
bool nesting_within(std::string_view text, std::size_t limit) {
    std::size_t depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (char c : text) {
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > limit)
                return false;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return true;
}

std::string error_text(std::string_view type, std::string_view msg) {
    std::string out = R"({"type":)";
    append_json_string(out, type);
    out += R"(,"payload":{"msg":)";
    append_json_string(out, msg);
    out += "}}";
    return out;
}

// What peer's transmission handler sends: JSON.stringify({type, src, dst, payload}), where an
// undefined payload disappears.
std::string relay_text(std::string_view type, std::string_view src, std::string_view dst,
                       const Json* payload) {
    std::string out = R"({"type":)";
    append_json_string(out, type);
    out += R"(,"src":)";
    append_json_string(out, src);
    out += R"(,"dst":)";
    append_json_string(out, dst);
    if (payload != nullptr) {
        out += R"(,"payload":)";
        out += payload->dump(-1, ' ', false, Json::error_handler_t::replace);
    }
    out += '}';
    return out;
}

std::string_view type_name(MessageType type) {
    switch (type) {
    case MessageType::Heartbeat:
        return "HEARTBEAT";
    case MessageType::Offer:
        return "OFFER";
    case MessageType::Answer:
        return "ANSWER";
    case MessageType::Candidate:
        return "CANDIDATE";
    case MessageType::Leave:
        return "LEAVE";
    case MessageType::Expire:
        return "EXPIRE";
    case MessageType::Unknown:
        break;
    }
    return "";
}

struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept {
        return std::hash<std::string_view>{}(text);
    }
};

template <typename Value>
using StringMap = std::unordered_map<std::string, Value, StringHash, std::equal_to<>>;

bool tokens_equal(std::string_view a, std::string_view b) {
    return crypto::constant_time_equal({reinterpret_cast<const uint8_t*>(a.data()), a.size()},
                                       {reinterpret_cast<const uint8_t*>(b.data()), b.size()});
}

} // namespace

struct PeerJsServer::State {
    struct Client {
        std::string id;
        std::string token;
        ConnectionId connection = 0;
        PeerSink* sink = nullptr;
        TimePoint last_ping{};
        std::list<Client*>::iterator alive_pos; // in alive_order
    };
    struct Pending {
        std::string src;
        std::string text; // the relay message, ready to send
    };
    struct Queue {
        std::string id;
        std::vector<Pending> messages;
        std::size_t bytes = 0;
        TimePoint deadline{};
        std::list<Queue*>::iterator expiry_pos; // in expiry_order
    };

    PeerJsOptions options;
    // Map nodes do not move on rehash, so the pointers below stay valid until erased.
    StringMap<Client> clients;
    std::unordered_map<ConnectionId, Client*> connections; // current socket of each client
    std::list<Client*> alive_order;                        // by last HEARTBEAT, oldest first
    StringMap<Queue> queues;
    std::list<Queue*> expiry_order; // by deadline, earliest first (created in time order)
    std::size_t total_queued_bytes = 0;
    std::size_t total_queued_messages = 0;
    ConnectionId next_connection = 1;
    PeerJsStats counters;

    explicit State(PeerJsOptions o) : options(std::move(o)) {}

    void refuse(PeerSink& sink, std::string_view type, std::string_view msg) {
        sink.send(error_text(type, msg));
        sink.close(kCloseNormal, msg);
    }

    void remove_client(Client& client) {
        alive_order.erase(client.alive_pos);
        connections.erase(client.connection);
        auto it = clients.find(client.id);
        if (it != clients.end())
            clients.erase(it);
    }

    void touch(Client& client, TimePoint now) {
        client.last_ping = now;
        alive_order.splice(alive_order.end(), alive_order, client.alive_pos);
    }

    // Takes the queue out of every index; its messages are the caller's.
    std::vector<Pending> take_queue(Queue& queue) {
        std::vector<Pending> messages = std::move(queue.messages);
        total_queued_bytes -= queue.bytes;
        total_queued_messages -= messages.size();
        expiry_order.erase(queue.expiry_pos);
        auto it = queues.find(queue.id);
        if (it != queues.end())
            queues.erase(it);
        return messages;
    }

    void deliver_queue(Client& client) {
        auto it = queues.find(client.id);
        if (it == queues.end())
            return;
        for (const Pending& pending : take_queue(it->second)) {
            client.sink->send(pending.text);
            ++counters.delivered_queued;
        }
    }

    // {"type":"EXPIRE","src":absent,"dst":to}, if `to` is connected (peer drops EXPIRE to an
    // absent id like any other).
    void send_expire(std::string_view to, std::string_view absent) {
        auto it = clients.find(to);
        if (it == clients.end())
            return;
        it->second.sink->send(relay_text(type_name(MessageType::Expire), absent, to, nullptr));
        ++counters.expired;
    }

    void enqueue(std::string_view src, std::string_view dst, std::string text, TimePoint now) {
        auto it = queues.find(dst);
        Queue* queue = it == queues.end() ? nullptr : &it->second;
        std::size_t size = text.size();
        bool fits = options.max_queued_messages > 0 &&
                    total_queued_bytes + size <= options.max_total_queued_bytes;
        if (queue != nullptr)
            fits = fits && queue->messages.size() < options.max_queued_messages &&
                   queue->bytes + size <= options.max_queued_bytes;
        else
            fits = fits && queues.size() < options.max_queues && size <= options.max_queued_bytes;
        if (!fits) {
            ++counters.drops_queue_full;
            bool told_at_expiry = false;
            if (queue != nullptr) {
                for (const Pending& pending : queue->messages)
                    told_at_expiry = told_at_expiry || pending.src == src;
            }
            if (!told_at_expiry)
                send_expire(src, dst);
            return;
        }
        if (queue == nullptr) {
            auto [created, inserted] = queues.try_emplace(std::string(dst));
            (void)inserted;
            queue = &created->second;
            queue->id = std::string(dst);
            queue->deadline = now + options.expire_timeout;
            queue->expiry_pos = expiry_order.insert(expiry_order.end(), queue);
        }
        queue->messages.push_back({std::string(src), std::move(text)});
        queue->bytes += size;
        total_queued_bytes += size;
        ++total_queued_messages;
        ++counters.queued;
    }

    // peer's transmission handler: to a connected dst now, else queued (LEAVE/EXPIRE dropped).
    void route(MessageType type, std::string_view src, std::string_view dst, std::string text,
               TimePoint now) {
        auto it = clients.find(dst);
        if (it != clients.end()) {
            it->second.sink->send(text);
            ++counters.relayed;
            return;
        }
        if (type == MessageType::Leave || type == MessageType::Expire) {
            ++counters.drops_absent;
            return;
        }
        enqueue(src, dst, std::move(text), now);
    }

    void handle(Client& client, std::string_view text, TimePoint now) {
        if (text.size() > options.max_message) {
            ++counters.drops_too_big;
            return;
        }
        if (!nesting_within(text, kMaxDepth)) {
            ++counters.drops_bad_json;
            return;
        }
        Json message = Json::parse(text, nullptr, /*allow_exceptions=*/false);
        if (message.is_discarded()) {
            ++counters.drops_bad_json;
            return;
        }
        if (!message.is_object()) {
            ++counters.drops_bad_message;
            return;
        }
        auto type_it = message.find("type");
        MessageType type = MessageType::Unknown;
        if (type_it != message.end() && type_it->is_string())
            type = message_type(type_it->get_ref<const std::string&>());
        if (type == MessageType::Unknown) {
            ++counters.drops_unknown_type;
            return;
        }
        if (type == MessageType::Heartbeat) {
            touch(client, now);
            ++counters.heartbeats;
            return;
        }

        std::string_view dst;
        auto dst_it = message.find("dst");
        if (dst_it != message.end() && !dst_it->is_null()) {
            if (!dst_it->is_string()) {
                ++counters.drops_bad_message;
                return;
            }
            dst = dst_it->get_ref<const std::string&>();
        }
        if (dst.empty()) {
            if (type == MessageType::Leave) { // peer: the sender is forgotten
                PeerSink* sink = client.sink;
                remove_client(client);
                ++counters.leaves;
                sink->close(kCloseNormal, "leave");
            } else {
                ++counters.drops_no_dst;
            }
            return;
        }
        if (!valid_id(dst, options.max_id_length)) { // no client can ever have that id
            ++counters.drops_bad_message;
            return;
        }
        auto payload_it = message.find("payload");
        const Json* payload = payload_it == message.end() ? nullptr : &*payload_it;
        std::string out = relay_text(type_name(type), client.id, dst, payload);
        std::string src = client.id; // `client` stays valid, but keep route() independent of it
        route(type, src, dst, std::move(out), now);
    }
};

PeerJsServer::PeerJsServer(PeerJsOptions options)
    : state_(std::make_unique<State>(std::move(options))) {}

PeerJsServer::~PeerJsServer() = default;

std::string PeerJsServer::generate_id() {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string id;
    // A collision with a connected id is practically impossible; bounded retries anyway.
    for (int attempt = 0; attempt < 8; ++attempt) {
        std::array<uint8_t, 16> bytes{};
        crypto::random_bytes(bytes);
        // RFC 9562 §5.4 (RFC 4122 §4.4): version 4, variant 10.
        bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0f) | 0x40);
        bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3f) | 0x80);
        id.clear();
        for (std::size_t i = 0; i < bytes.size(); ++i) {
            if (i == 4 || i == 6 || i == 8 || i == 10)
                id += '-';
            id += kHex[bytes[i] >> 4];
            id += kHex[bytes[i] & 0x0f];
        }
        if (state_->clients.find(id) == state_->clients.end())
            break;
    }
    return id;
}

std::optional<PeerJsHttpReply> PeerJsServer::http_get(std::string_view path) {
    // peer's express routes /:key/id and /:key/peers (any key; its own routes, not files).
    if (path.size() < 2 || path.front() != '/')
        return std::nullopt;
    std::string_view rest = path.substr(1);
    auto slash = rest.find('/');
    if (slash == 0 || slash == std::string_view::npos)
        return std::nullopt;
    std::string_view method = rest.substr(slash + 1);
    if (method == "id")
        return PeerJsHttpReply{200, "text/html; charset=utf-8", generate_id()};
    if (method == "peers") {
        if (!state_->options.allow_discovery)
            return PeerJsHttpReply{401, "text/plain; charset=utf-8", "Unauthorized"};
        std::string body = "[";
        for (const auto& [id, client] : state_->clients) {
            if (body.size() > 1)
                body += ',';
            append_json_string(body, id);
        }
        body += ']';
        return PeerJsHttpReply{200, "application/json; charset=utf-8", std::move(body)};
    }
    return std::nullopt;
}

std::optional<ConnectionId> PeerJsServer::attach(std::string_view key, std::string_view id,
                                                 std::string_view token, PeerSink& sink,
                                                 TimePoint now) {
    State& s = *state_;
    if (key.empty() || id.empty() || token.empty()) {
        ++s.counters.refused_params;
        s.refuse(sink, "ERROR", kErrorParams);
        return std::nullopt;
    }
    if (key != s.options.key) {
        ++s.counters.refused_key;
        s.refuse(sink, "ERROR", kErrorKey);
        return std::nullopt;
    }
    if (!valid_id(id, s.options.max_id_length)) {
        ++s.counters.refused_id;
        s.refuse(sink, "ERROR", kErrorId);
        return std::nullopt;
    }
    if (!valid_id(token, s.options.max_id_length)) {
        ++s.counters.refused_token;
        s.refuse(sink, "ERROR", kErrorToken);
        return std::nullopt;
    }

    auto it = s.clients.find(id);
    if (it != s.clients.end()) {
        State::Client& client = it->second;
        if (!tokens_equal(token, client.token)) {
            ++s.counters.refused_id_taken;
            s.refuse(sink, "ID-TAKEN", kIdTaken);
            return std::nullopt;
        }
        // Same id and token: peer moves the id to the new socket without an OPEN.
        PeerSink* old_sink = client.sink;
        s.connections.erase(client.connection);
        client.connection = s.next_connection++;
        client.sink = &sink;
        s.connections.emplace(client.connection, &client);
        ++s.counters.takeovers;
        ConnectionId connection = client.connection;
        old_sink->close(kCloseNormal, "replaced by a new connection");
        s.deliver_queue(client);
        return connection;
    }

    if (s.clients.size() >= s.options.concurrent_limit) {
        ++s.counters.refused_limit;
        s.refuse(sink, "ERROR", kErrorLimit);
        return std::nullopt;
    }
    auto [created, inserted] = s.clients.try_emplace(std::string(id));
    (void)inserted;
    State::Client& client = created->second;
    client.id = std::string(id);
    client.token = std::string(token);
    client.connection = s.next_connection++;
    client.sink = &sink;
    client.last_ping = now;
    client.alive_pos = s.alive_order.insert(s.alive_order.end(), &client);
    s.connections.emplace(client.connection, &client);
    ++s.counters.opens;
    ConnectionId connection = client.connection;
    sink.send(kOpenMessage);
    s.deliver_queue(client);
    return connection;
}

void PeerJsServer::on_message(ConnectionId connection, std::string_view text, TimePoint now) {
    auto it = state_->connections.find(connection);
    if (it == state_->connections.end())
        return; // closed by us (leave, replaced, silent) and not yet reported gone
    try {
        state_->handle(*it->second, text, now);
    } catch (const Json::exception&) { // not expected with allow_exceptions=false
        ++state_->counters.drops_bad_json;
    }
}

void PeerJsServer::on_disconnect(ConnectionId connection, TimePoint now) {
    (void)now;
    auto it = state_->connections.find(connection);
    if (it == state_->connections.end())
        return;
    state_->remove_client(*it->second);
}

void PeerJsServer::on_timer(TimePoint now) {
    State& s = *state_;
    // Queues: peer's pruneOutstanding, one EXPIRE per sender of the queue.
    while (!s.expiry_order.empty() && s.expiry_order.front()->deadline <= now) {
        State::Queue& queue = *s.expiry_order.front();
        std::string dst = queue.id;
        std::vector<State::Pending> messages = s.take_queue(queue);
        std::unordered_set<std::string_view> told;
        for (const State::Pending& pending : messages) {
            if (told.insert(pending.src).second)
                s.send_expire(pending.src, dst);
        }
    }
    // Ids without a HEARTBEAT for alive_timeout: peer's checkBrokenConnections.
    while (!s.alive_order.empty() &&
           s.alive_order.front()->last_ping + s.options.alive_timeout <= now) {
        State::Client& client = *s.alive_order.front();
        PeerSink* sink = client.sink;
        s.remove_client(client);
        ++s.counters.alive_timeouts;
        sink->close(kCloseNormal, "no heartbeat");
    }
}

std::optional<TimePoint> PeerJsServer::next_deadline() const {
    const State& s = *state_;
    std::optional<TimePoint> next;
    if (!s.expiry_order.empty())
        next = s.expiry_order.front()->deadline;
    if (!s.alive_order.empty()) {
        TimePoint alive = s.alive_order.front()->last_ping + s.options.alive_timeout;
        if (!next || alive < *next)
            next = alive;
    }
    return next;
}

void PeerJsServer::close_all() {
    State& s = *state_;
    std::vector<PeerSink*> sinks;
    sinks.reserve(s.clients.size());
    for (auto& [id, client] : s.clients)
        sinks.push_back(client.sink);
    s.connections.clear();
    s.alive_order.clear();
    s.clients.clear();
    s.expiry_order.clear();
    s.queues.clear();
    s.total_queued_bytes = 0;
    s.total_queued_messages = 0;
    for (PeerSink* sink : sinks)
        sink->close(kCloseGoingAway, "server shutdown");
}

PeerJsStats PeerJsServer::stats() const {
    PeerJsStats out = state_->counters;
    out.clients = state_->clients.size();
    out.queues = state_->queues.size();
    out.queued_messages = state_->total_queued_messages;
    return out;
}

const PeerJsOptions& PeerJsServer::options() const {
    return state_->options;
}

} // namespace rtc::signal

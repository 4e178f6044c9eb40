#pragma once
// The PeerJS server protocol (npm `peer` 1.0.2, spoken by the unmodified `peerjs` 1.5.5 client),
// sans-I/O like signal::Rooms: the tool feeds upgrades, text messages, disconnects and time; the
// core answers through PeerSink. One thread: every call comes from the same event loop, and a
// PeerSink must not call back into the server from send() or close().
//
//   rtc::signal::PeerJsServer peerjs({.key = "peerjs"});
//   GET /KEY/id                          -> peerjs.http_get(path) (a fresh uuid v4)
//   WebSocket /peerjs?key=K&id=I&token=T -> auto conn = peerjs.attach(k, i, t, sink, now);
//   every message of that socket         -> if (conn) peerjs.on_message(*conn, text, now);
//   socket gone                          -> peerjs.on_disconnect(*conn, now);
//   at next_deadline() or sooner         -> peerjs.on_timer(now);
//
// Wire (as peer 1.0.2 does it):
// - attach: {"type":"OPEN"} then whatever was queued for the id. Refusals are
//   {"type":"ERROR","payload":{"msg":M}} (M "Invalid key provided", "No id, token, or key
//   supplied to websocket server", "Server has reached its concurrent user limit", and ours:
//   "Invalid id provided", "Invalid token provided") or {"type":"ID-TAKEN","payload":{"msg":"ID
//   is taken"}} for a connected id with another token; the socket is then closed (1000).
// - The same id and token while that id is connected takes the id over, as peer does: no OPEN,
//   queued messages delivered to the new socket. Unlike peer, the old socket is closed (1000)
//   instead of lingering unused.
// - HEARTBEAT refreshes liveness; an id without one for alive_timeout is closed.
// - OFFER, ANSWER, CANDIDATE, LEAVE, EXPIRE go to `dst` re-serialised as
//   {"type","src","dst","payload"} only (src is the sender's id, other fields dropped, payload
//   left out when absent). To an id not connected: LEAVE and EXPIRE are dropped, the rest are
//   queued until the id attaches; a queue still undelivered expire_timeout after it was created
//   is dropped and every sender with a message in it gets {"type":"EXPIRE","src":DST,"dst":ME}
//   once. A message that does not fit the queue bounds is dropped and its sender gets that
//   EXPIRE at once (unless a message of it is queued: then it comes at expiry).
// - LEAVE without dst: the sender leaves (peer forgets the id; we also close the socket).
// - Anything else (bad JSON, not an object, unknown type, dst not a string) is counted and
//   ignored; the socket stays open.
#include "signal/rooms.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace rtc::signal {

struct PeerJsOptions {
    std::string key = "peerjs";                     // the API key clients must present
    std::chrono::milliseconds expire_timeout{5000}; // life of a queue for an absent id
    std::chrono::milliseconds alive_timeout{60000}; // no HEARTBEAT for this long: closed
    std::size_t concurrent_limit = 5000;            // connected ids
    std::size_t max_message = 64 * 1024;            // bytes of one client message
    std::size_t max_id_length = 128;                // bytes of an id or a token
    std::size_t max_queued_messages = 100;          // per absent id
    std::size_t max_queued_bytes = 256 * 1024;      // per absent id
    std::size_t max_queues = 10000;                 // absent ids with something queued
    std::size_t max_total_queued_bytes = 64 * 1024 * 1024;
    bool allow_discovery = false; // GET /KEY/peers lists the ids
};

struct PeerJsStats {
    uint64_t clients = 0;         // gauge: connected ids
    uint64_t queues = 0;          // gauge: absent ids with queued messages
    uint64_t queued_messages = 0; // gauge: messages in those queues
    uint64_t opens = 0;           // ids registered (OPEN sent)
    uint64_t takeovers = 0;       // same id and token on a new socket
    uint64_t refused_params = 0, refused_key = 0, refused_id = 0, refused_token = 0,
             refused_id_taken = 0, refused_limit = 0;
    uint64_t heartbeats = 0;
    uint64_t relayed = 0;          // messages sent straight to a connected dst
    uint64_t queued = 0;           // messages queued for an absent dst
    uint64_t delivered_queued = 0; // queued messages delivered after their dst attached
    uint64_t expired = 0;          // EXPIRE messages sent (queue expiry or queue full)
    uint64_t leaves = 0;           // ids gone by LEAVE without dst
    uint64_t alive_timeouts = 0;   // ids closed for missing heartbeats
    uint64_t drops_bad_json = 0, drops_bad_message = 0, drops_unknown_type = 0, drops_too_big = 0,
             drops_no_dst = 0, drops_absent = 0, drops_queue_full = 0;
};

struct PeerJsHttpReply {
    int status = 200;
    std::string content_type;
    std::string body;
};

class PeerJsServer {
public:
    explicit PeerJsServer(PeerJsOptions options = {});
    ~PeerJsServer();
    PeerJsServer(const PeerJsServer&) = delete;
    PeerJsServer& operator=(const PeerJsServer&) = delete;

    // The WebSocket path peerjs clients connect to (their `path` option "/" + "peerjs").
    static constexpr std::string_view kSocketPath = "/peerjs";

    // A fresh id for GET /KEY/id: a random uuid v4 (lowercase) not connected now.
    std::string generate_id();
    // GET PATH (without the query) as peer answers it: /KEY/id (any key, like peer) -> 200
    // text/html uuid; /KEY/peers -> 200 JSON array of ids when allow_discovery, else 401.
    // nullopt for any other path (the tool serves it).
    std::optional<PeerJsHttpReply> http_get(std::string_view path);

    // After the WebSocket upgrade of /peerjs?key&id&token (query values already decoded).
    // Sends OPEN and what was queued and returns the connection; or sends the refusal, closes
    // the sink and returns nullopt (the core then keeps no reference to the sink). Otherwise
    // the sink must stay valid until on_disconnect() for the connection returns.
    std::optional<ConnectionId> attach(std::string_view key, std::string_view id,
                                       std::string_view token, PeerSink& sink, TimePoint now);
    // A message of the connection (peer parses binary messages as JSON text too).
    void on_message(ConnectionId connection, std::string_view text, TimePoint now);
    // The socket is gone: its id is free again (what was queued for it before stays queued).
    void on_disconnect(ConnectionId connection, TimePoint now);
    // Expires queues (EXPIRE to their senders) and silent ids. `now` never goes backwards.
    void on_timer(TimePoint now);
    std::optional<TimePoint> next_deadline() const;

    // Graceful shutdown: every connected socket is closed with 1001 and forgotten.
    void close_all();

    PeerJsStats stats() const;
    const PeerJsOptions& options() const;

    struct State;

private:
    std::unique_ptr<State> state_;
};

} // namespace rtc::signal

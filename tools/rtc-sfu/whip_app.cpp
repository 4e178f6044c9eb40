#include "whip_app.hpp"

#include "demo_page.hpp"

#include "crypto/constant_time.hpp"
#include "http/query.hpp"
#include "turn/credentials.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>

namespace rtc::sfu_tool {

namespace {

constexpr std::string_view kWhip = "/whip/";
constexpr std::string_view kWhep = "/whep/";
constexpr std::string_view kResource = "/resource/";
constexpr std::size_t kMaxStreamName = 128;

net::HttpReply text_reply(int status, std::string body) {
    net::HttpReply r;
    r.status = status;
    r.content_type = "text/plain; charset=utf-8";
    r.body = std::move(body) + "\n";
    return r;
}

// Stream names are URL path segments: keep them to a safe alphabet.
bool valid_stream_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxStreamName)
        return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_' || c == '.';
    });
}

// RFC 6750 §3: 401 with the scheme the client must use.
net::HttpReply unauthorized() {
    auto r = text_reply(401, "a Bearer token is required");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
}

bool content_type_is(const http::Request& request, std::string_view type) {
    auto value = request.header("Content-Type");
    if (!value)
        return false;
    auto v = value->substr(0, value->find(';'));
    while (!v.empty() && v.back() == ' ')
        v.remove_suffix(1);
    if (v.size() != type.size())
        return false;
    for (std::size_t i = 0; i < v.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(v[i])) != type[i])
            return false;
    return true;
}

} // namespace

WhipApp::WhipApp(const SfuOptions& options, sfu::Router& router, RoomHub& rooms, app::Logger& log)
    : options_(options), router_(router), rooms_(rooms), log_(log) {}

bool WhipApp::authorized(const http::Request& request, bool query_token) const {
    if (options_.token.empty())
        return true;
    // RFC 9725 §4.5 with RFC 6750 §2.1: "Authorization: Bearer TOKEN"; a browser's WebSocket
    // cannot set headers, so /ws/ also takes ?token= (RFC 6750 §2.3).
    std::string_view given;
    auto value = request.header("Authorization");
    constexpr std::string_view kBearer = "Bearer ";
    if (value && value->size() > kBearer.size() &&
        std::equal(kBearer.begin(), kBearer.end(), value->begin(),
                   [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
        given = value->substr(kBearer.size());
    else if (query_token)
        given = http::query_param(request.query(), "token").value_or("");
    if (given.empty())
        return false;
    return crypto::constant_time_equal(
        {reinterpret_cast<const uint8_t*>(given.data()), given.size()},
        {reinterpret_cast<const uint8_t*>(options_.token.data()), options_.token.size()});
}

void WhipApp::add_ice_servers(net::HttpReply& reply) const {
    // RFC 9725 §4.6: one Link per STUN/TURN server; TURN ones carry ephemeral credentials
    // (draft-uberti-behave-turn-rest-00 §2.2, what rtc-turn --auth-secret accepts) when a
    // secret is configured.
    std::string credentials;
    if (!options_.ice_server_secret.empty()) {
        const auto expiry = std::chrono::duration_cast<std::chrono::seconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count() +
                            static_cast<int64_t>(options_.ice_server_ttl);
        const auto username = std::to_string(expiry) + ":rtc-sfu";
        credentials = "; username=\"" + username + "\"; credential=\"" +
                      turn::rest_password(options_.ice_server_secret, username) +
                      "\"; credential-type=\"password\"";
    }
    for (const auto& url : options_.ice_servers) {
        const bool turn = url.starts_with("turn:") || url.starts_with("turns:");
        reply.headers.emplace_back("Link", "<" + url + ">; rel=\"ice-server\"" +
                                               (turn ? credentials : std::string()));
    }
}

void WhipApp::add_cors(const http::Request& request, net::HttpReply& reply) const {
    auto origin = request.header("Origin");
    if (!origin)
        return;
    bool allowed = options_.allow_origins.empty();
    for (const auto& o : options_.allow_origins)
        allowed |= o == "*" || o == *origin;
    if (!allowed)
        return;
    reply.headers.emplace_back("Access-Control-Allow-Origin", std::string(*origin));
    reply.headers.emplace_back("Access-Control-Expose-Headers", "Location, ETag, Link");
    reply.headers.emplace_back("Vary", "Origin");
}

net::HttpReply WhipApp::on_request(const http::Request& request, const net::RequestInfo& info) {
    const auto path = request.path();
    net::HttpReply reply;
    if (request.method == "OPTIONS") {
        // CORS preflight (RFC 9725 §4.2 allows OPTIONS on the endpoint).
        reply.status = 204;
        reply.headers.emplace_back("Access-Control-Allow-Methods", "POST, PATCH, DELETE, OPTIONS");
        reply.headers.emplace_back("Access-Control-Allow-Headers",
                                   "Authorization, Content-Type, If-Match");
        reply.headers.emplace_back("Accept-Post", "application/sdp");
        add_ice_servers(reply);
    } else if (path == "/healthz" && (request.method == "GET" || request.method == "HEAD")) {
        reply = text_reply(200, "ok");
    } else if (path.starts_with(kWhip) || path.starts_with(kWhep)) {
        const bool publish = path.starts_with(kWhip);
        if (request.method != "POST") {
            reply = text_reply(405, "method not allowed: POST an SDP offer");
            reply.headers.emplace_back("Allow", "POST, OPTIONS");
        } else {
            reply = negotiate(request, info, publish, path.substr(kWhip.size()));
        }
    } else if (path.starts_with(kResource)) {
        reply = resource(request, path.substr(kResource.size()));
    } else if (path == "/stats" && (request.method == "GET" || request.method == "HEAD")) {
        reply = stats(request);
    } else if (path == "/demo" && (request.method == "GET" || request.method == "HEAD")) {
        reply.status = 200;
        reply.content_type = "text/html; charset=utf-8";
        reply.body = std::string(demo_page());
    } else if (path == "/" && (request.method == "GET" || request.method == "HEAD")) {
        reply = text_reply(200, "rtc-sfu: POST an SDP offer to /whip/STREAM to publish, to "
                                "/whep/STREAM to watch; /demo?room=NAME joins a room (see man "
                                "rtc-sfu)");
    } else {
        reply = text_reply(404, "not found");
    }
    add_cors(request, reply);
    return reply;
}

net::HttpReply WhipApp::negotiate(const http::Request& request, const net::RequestInfo& info,
                                  bool publish, std::string_view stream) {
    const char* what = publish ? "publish" : "subscribe";
    if (!authorized(request)) {
        log_.info("refused", {{"what", what}, {"from", info.remote}, {"error", "bad token"}});
        return unauthorized();
    }
    if (!valid_stream_name(stream))
        return text_reply(400, "stream names are 1-128 of A-Z a-z 0-9 - _ .");
    if (!content_type_is(request, "application/sdp"))
        return text_reply(415, "Content-Type must be application/sdp");
    const auto now = std::chrono::steady_clock::now();
    auto n = publish ? router_.publish(stream, request.body, now)
                     : router_.subscribe(stream, request.body, now);
    if (n.status != 201) {
        log_.info("refused", {{"what", what},
                              {"stream", std::string(stream)},
                              {"from", info.remote},
                              {"status", n.status},
                              {"error", n.error}});
        return text_reply(n.status, n.error);
    }
    log_.info(publish ? "publisher" : "subscriber",
              {{"stream", std::string(stream)}, {"resource", n.resource}, {"from", info.remote}});
    net::HttpReply r;
    r.status = 201;
    r.content_type = "application/sdp";
    r.body = std::move(n.answer);
    r.headers.emplace_back("Location", std::string(kResource) + n.resource);
    r.headers.emplace_back("ETag", "\"" + n.etag + "\"");
    add_ice_servers(r);
    return r;
}

net::HttpReply WhipApp::resource(const http::Request& request, std::string_view id) {
    if (!authorized(request)) {
        return unauthorized();
    }
    // WHEP layer selection: POST /resource/ID/layer {"encodingId":"h"} (or "auto").
    constexpr std::string_view kLayer = "/layer";
    if (id.ends_with(kLayer)) {
        id.remove_suffix(kLayer.size());
        if (!router_.has(id))
            return text_reply(404, "no such session");
        if (request.method != "POST")
            return text_reply(405, "method not allowed: POST {\"encodingId\": RID}");
        auto j = nlohmann::json::parse(request.body, nullptr, false);
        if (!j.is_object() || !j.contains("encodingId") || !j["encodingId"].is_string())
            return text_reply(400, "expected {\"encodingId\": RID} (or \"auto\")");
        if (!router_.select_layer(id, j["encodingId"].get<std::string>()))
            return text_reply(404, "no video layer with that encodingId");
        net::HttpReply r;
        r.status = 204;
        return r;
    }
    if (!router_.has(id))
        return text_reply(404, "no such session");
    if (request.method == "DELETE") {
        router_.remove(id);
        log_.info("deleted", {{"resource", std::string(id)}});
        return text_reply(200, "deleted");
    }
    if (request.method == "PATCH")
        return patch(request, id);
    auto r = text_reply(405, "method not allowed");
    r.headers.emplace_back("Allow", "PATCH, DELETE, OPTIONS");
    return r;
}

namespace {

const char* kind_name(sfu::MediaKind kind) {
    return kind == sfu::MediaKind::Audio ? "audio" : "video";
}

nlohmann::json track_json(const sfu::TrackSummary& t, sfu::PeerRole role) {
    nlohmann::json j = {{"mid", t.mid}, {"kind", kind_name(t.kind)}, {"codec", t.codec}};
    if (role == sfu::PeerRole::Publisher) {
        auto layers = nlohmann::json::array();
        for (const auto& l : t.layers)
            layers.push_back({{"rid", l.rid},
                              {"ssrc", l.ssrc},
                              {"packets", l.packets},
                              {"bytes", l.bytes},
                              {"bitrate_bps", l.bitrate_bps},
                              {"lost", l.lost},
                              {"jitter", l.jitter}});
        j["layers"] = std::move(layers);
        return j;
    }
    j.update({{"source", t.source},
              {"stream", t.stream},
              {"layer", t.layer},
              {"ssrc", t.ssrc},
              {"packets", t.packets},
              {"bytes", t.bytes},
              {"fraction_lost", t.fraction_lost / 256.0},
              {"remb_bps", t.remb_bps}});
    return j;
}

} // namespace

net::HttpReply WhipApp::stats(const http::Request& request) {
    if (!authorized(request)) {
        return unauthorized();
    }
    // Per stream, per peer and per room (the "metrics per room and per peer"); the
    // Prometheus metrics stay totals so their label sets stay bounded.
    const auto summaries = router_.summaries(std::chrono::steady_clock::now());
    auto peers = nlohmann::json::array();
    std::map<std::string, std::string> publisher_of;          // stream -> resource
    std::map<std::string, std::set<std::string>> watchers_of; // stream -> resources
    for (const auto& p : summaries) {
        const bool publisher = p.role == sfu::PeerRole::Publisher;
        auto tracks = nlohmann::json::array();
        for (const auto& t : p.tracks) {
            tracks.push_back(track_json(t, p.role));
            if (!publisher && !t.source.empty())
                watchers_of[t.stream].insert(p.resource);
        }
        if (publisher)
            publisher_of[p.stream] = p.resource;
        peers.push_back({{"resource", p.resource},
                         {"role", publisher ? "publisher" : "subscriber"},
                         {"stream", p.stream},
                         {"connected", p.connected},
                         {"address", p.address ? p.address->to_string() : ""},
                         {"age_seconds", p.age.count()},
                         {"tracks", std::move(tracks)}});
    }
    auto streams = nlohmann::json::array();
    for (const auto& [name, resource] : publisher_of)
        streams.push_back(
            {{"name", name}, {"publisher", resource}, {"subscribers", watchers_of[name]}});
    net::HttpReply r;
    r.status = 200;
    r.content_type = "application/json";
    r.body = nlohmann::json{{"version", 1},
                            {"streams", std::move(streams)},
                            {"peers", std::move(peers)},
                            {"rooms", rooms_.summary()}}
                 .dump() +
             "\n";
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
}

net::HttpReply WhipApp::patch(const http::Request& request, std::string_view id) {
    if (!content_type_is(request, "application/trickle-ice-sdpfrag"))
        return text_reply(415, "Content-Type must be application/trickle-ice-sdpfrag");
    const auto if_match = request.header("If-Match");
    if (if_match && *if_match == "*") {
        // RFC 9725 §4.3.2: an ICE restart; the reply carries our new credentials and ETag.
        auto n = router_.restart_ice(id, request.body);
        if (n.status != 200)
            return text_reply(n.status, n.error);
        log_.info("ice restart", {{"resource", std::string(id)}});
        net::HttpReply r;
        r.status = 200;
        r.content_type = "application/trickle-ice-sdpfrag";
        r.body = std::move(n.answer);
        r.headers.emplace_back("ETag", "\"" + n.etag + "\"");
        return r;
    }
    // RFC 9725 §4.3.1: a trickle PATCH names the ICE session it belongs to; one from before a
    // restart gets 412. An ICE-lite server learns the client's candidates from its checks, so
    // the candidates themselves need no action.
    if (if_match && *if_match != "\"" + router_.etag(id) + "\"")
        return text_reply(412, "If-Match does not match the session's ETag (ICE restarted?)");
    net::HttpReply r;
    r.status = 204;
    return r;
}

net::Upgrade WhipApp::on_upgrade(const http::Request& request, const net::RequestInfo& info) {
    constexpr std::string_view kRooms = "/ws/";
    const auto path = request.path();
    if (!path.starts_with(kRooms))
        return net::Upgrade::refuse(text_reply(404, "no WebSocket endpoint here: use /ws/ROOM"));
    const auto room = path.substr(kRooms.size());
    if (!valid_stream_name(room))
        return net::Upgrade::refuse(text_reply(400, "room names are 1-128 of A-Z a-z 0-9 - _ ."));
    if (!authorized(request, true)) {
        log_.info("refused", {{"what", "room"}, {"from", info.remote}, {"error", "bad token"}});
        return net::Upgrade::refuse(text_reply(401, "a token is required"));
    }
    return net::Upgrade::accept([this, room = std::string(room)](net::WebSocket& socket) {
        auto handler = rooms_.join(socket, room);
        if (!handler) {
            socket.close(1013, "room full or too many rooms");
            struct Closed final : net::WebSocketHandler {
                void on_message(std::string_view, bool) override {}
                void on_close(uint16_t, std::string_view, bool) override {}
            };
            return std::unique_ptr<net::WebSocketHandler>(std::make_unique<Closed>());
        }
        return handler;
    });
}

} // namespace rtc::sfu_tool

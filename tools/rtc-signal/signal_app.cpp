#include "signal_app.hpp"

#include "http/query.hpp"
#include "http/static_files.hpp"

namespace rtc::signal_tool {

namespace {

net::HttpReply text_reply(int status, std::string body) {
    net::HttpReply r;
    r.status = status;
    r.content_type = "text/plain; charset=utf-8";
    r.body = std::move(body);
    if (!r.body.empty() && r.body.back() != '\n')
        r.body.push_back('\n');
    return r;
}

// "/ROOM" -> "ROOM", "/" -> "" (a new room); nullopt for anything deeper.
std::optional<std::string> room_of(std::string_view path) {
    if (path.empty() || path.front() != '/')
        return std::nullopt;
    path.remove_prefix(1);
    if (path.find('/') != std::string_view::npos)
        return std::nullopt;
    return http::percent_decode(path);
}

} // namespace

SignalApp::SignalApp(const SignalOptions& options, AccessPolicy& access, RoomsDriver& rooms,
                     PeerJsDriver* peerjs, const app::MetricsRegistry& registry,
                     SignalAppCounters counters, app::Logger& log)
    : options_(options), access_(access), rooms_(rooms), peerjs_(peerjs), registry_(registry),
      counters_(counters), log_(log) {}

net::HttpReply SignalApp::refuse(int status, std::string_view error, const net::RequestInfo& info,
                                 std::string_view what) {
    if (status == 401 && counters_.auth_failures)
        counters_.auth_failures->inc();
    log_.info("refused", {{"what", what}, {"status", status}, {"from", info.remote},
                          {"error", error}});
    return text_reply(status, std::string(error));
}

net::HttpReply SignalApp::on_request(const http::Request& request, const net::RequestInfo& info) {
    const auto path = request.path();
    if (request.method != "GET" && request.method != "HEAD") {
        auto r = text_reply(405, "method not allowed");
        r.headers.emplace_back("Allow", "GET, HEAD");
        return r;
    }
    if (path == "/healthz")
        return text_reply(200, "ok");
    if (path == "/metrics") {
        // Counters say who is connected and how much: only for this host unless --metrics
        // serves them elsewhere.
        if (!info.remote.address.is_loopback())
            return text_reply(403, "metrics are served to loopback clients (or use --metrics)");
        net::HttpReply r;
        r.content_type = std::string(app::kMetricsContentType);
        r.body = registry_.render();
        return r;
    }
    if (peerjs_) {
        // PeerJS: GET /KEY/id hands out a fresh id; /KEY/peers (discovery) is off, as in the
        // PeerJS server's default.
        if (auto reply = peerjs_->core().http_get(path)) {
            net::HttpReply r;
            r.status = reply->status;
            r.body = std::move(reply->body);
            r.content_type = std::move(reply->content_type);
            if (auto origin = request.header("Origin");
                origin && !access_.check_origin(request, info.tls))
                r.headers.emplace_back("Access-Control-Allow-Origin", std::string(*origin));
            return r;
        }
    }
    if (!options_.web_root.empty()) {
        auto file = http::serve_static(options_.web_root, request);
        net::HttpReply r;
        r.status = file.status;
        r.content_type = std::move(file.content_type);
        r.body = std::move(file.body);
        for (auto& h : file.headers)
            r.headers.push_back(std::move(h));
        return r;
    }
    if (path == "/")
        return text_reply(200, "rtc-signal: connect a WebSocket to /ROOM (see man rtc-signal)");
    return text_reply(404, "not found");
}

net::Upgrade SignalApp::on_upgrade(const http::Request& request, const net::RequestInfo& info) {
    const auto path = request.path();
    if (peerjs_ && path == signal::PeerJsServer::kSocketPath)
        return peerjs_upgrade(request, info);
    const auto room = room_of(path);
    if (!room)
        return net::Upgrade::refuse(refuse(404, "no such endpoint: connect to /ROOM", info, "join"));
    return room_upgrade(request, info, *room);
}

net::Upgrade SignalApp::room_upgrade(const http::Request& request, const net::RequestInfo& info,
                                     std::string_view room) {
    const auto id = http::query_param(request.query(), "id").value_or("");
    const auto resume = http::query_param(request.query(), "resume").value_or("");
    auto access = access_.check(request, info.tls, room, id, std::chrono::system_clock::now());
    if (!access.ok) {
        if (access.status == 403 && counters_.origin_refusals)
            counters_.origin_refusals->inc();
        return net::Upgrade::refuse(refuse(access.status, access.error, info, "join"));
    }
    signal::JoinRequest join;
    join.room = std::string(room);
    join.peer_id = id.empty() ? access.peer_id : id;
    join.resume_token = resume;
    auto admission = rooms_.core().admit(join, signal::Clock::now());
    if (!admission.ok) {
        if (counters_.join_refusals)
            counters_.join_refusals->inc();
        return net::Upgrade::refuse(refuse(admission.http_status, admission.error, info, "join"));
    }
    log_.debug("join", {{"room", admission.room}, {"id", admission.peer_id},
                        {"from", info.remote}, {"resume", admission.resume}});
    return net::Upgrade::accept([this, admission](net::WebSocket& socket) {
        return std::make_unique<RoomSession>(socket, rooms_, admission);
    });
}

net::Upgrade SignalApp::peerjs_upgrade(const http::Request& request,
                                       const net::RequestInfo& info) {
    if (auto refused = access_.check_origin(request, info.tls)) {
        if (counters_.origin_refusals)
            counters_.origin_refusals->inc();
        return net::Upgrade::refuse(refuse(403, *refused, info, "peerjs"));
    }
    // PeerJS answers a bad key or a taken id over the socket (ERROR, ID-TAKEN), so the
    // upgrade is accepted and the core decides.
    auto key = http::query_param(request.query(), "key").value_or("");
    auto id = http::query_param(request.query(), "id").value_or("");
    auto token = http::query_param(request.query(), "token").value_or("");
    return net::Upgrade::accept([this, key, id, token](net::WebSocket& socket) {
        return std::make_unique<PeerJsSession>(socket, *peerjs_, key, id, token);
    });
}

} // namespace rtc::signal_tool

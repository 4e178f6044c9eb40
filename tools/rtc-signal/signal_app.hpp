#pragma once
// What rtc-signal answers on its listeners: the room WebSocket (/ROOM), the PeerJS protocol
// (/peerjs, GET /KEY/id) with --peerjs, /healthz, /metrics for loopback clients, and the files
// of --web-root.
#include "access.hpp"
#include "room_sessions.hpp"
#include "signal_options.hpp"

#include "app/log.hpp"
#include "app/metrics.hpp"
#include "net/http_server.hpp"

#include <memory>

namespace rtc::signal_tool {

struct SignalAppCounters {
    app::Counter* auth_failures = nullptr;   // 401
    app::Counter* origin_refusals = nullptr; // 403 for the Origin
    app::Counter* join_refusals = nullptr;   // room full, id taken, ...
};

class SignalApp final : public net::HttpApp {
public:
    SignalApp(const SignalOptions& options, AccessPolicy& access, RoomsDriver& rooms,
              PeerJsDriver* peerjs, const app::MetricsRegistry& registry,
              SignalAppCounters counters, app::Logger& log);

    net::HttpReply on_request(const http::Request& request, const net::RequestInfo& info) override;
    net::Upgrade on_upgrade(const http::Request& request, const net::RequestInfo& info) override;

private:
    net::Upgrade room_upgrade(const http::Request& request, const net::RequestInfo& info,
                              std::string_view room);
    net::Upgrade peerjs_upgrade(const http::Request& request, const net::RequestInfo& info);
    net::HttpReply refuse(int status, std::string_view error, const net::RequestInfo& info,
                          std::string_view what);

    const SignalOptions& options_;
    AccessPolicy& access_;
    RoomsDriver& rooms_;
    PeerJsDriver* peerjs_;
    const app::MetricsRegistry& registry_;
    SignalAppCounters counters_;
    app::Logger& log_;
};

} // namespace rtc::signal_tool

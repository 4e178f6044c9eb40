#include "service.hpp"

#include "app/exit_codes.hpp"
#include "app/serve.hpp"
#include "app/server_metrics.hpp"
#include "crypto/random.hpp"
#include "util/hex.hpp"

#include <asio/post.hpp>

namespace rtc::signal_tool {

namespace {

constexpr std::chrono::milliseconds kStopGrace{3000};
constexpr std::string_view kInUseHint = "is another signaling or web server running?";

std::string random_node_id() {
    uint8_t bytes[6];
    crypto::random_bytes(bytes);
    return util::to_hex(bytes);
}

} // namespace

SignalService::SignalService(const app::CommonOptions& common, const SignalOptions& options,
                             app::Logger& log)
    : common_(common), options_(options), log_(log), pool_(1),
      node_id_(options.node_id.empty() ? random_node_id() : options.node_id) {
    registry_.add_process_metrics();
}

SignalService::~SignalService() = default;

void SignalService::start_redis() {
    if (options_.redis.empty())
        return;
    std::string error;
    auto url = net::RedisUrl::parse(options_.redis, &error);
    if (!url)
        throw app::ConfigError("--redis: " + error, "expected redis://[:PASSWORD@]HOST:PORT[/DB]");
    redis_url_ = url->to_string(); // the password is never logged
    net::RedisBusOptions bus_options;
    bus_options.prefix = options_.redis_prefix;
    bus_ = std::make_unique<net::RedisBus>(
        pool_.context(0), *url, bus_options,
        [this](std::string_view payload) {
            rooms_->core().on_cluster_event(payload, signal::Clock::now());
            rooms_->rearm();
        },
        [this] {
            log_.info("redis connected", {{"url", redis_url_}, {"node", node_id_}});
            rooms_->core().on_cluster_connected(signal::Clock::now());
            rooms_->rearm();
        });
}

void SignalService::bind() {
    net::HttpServerOptions http;
    http.max_connections = options_.max_connections;
    http.max_message = options_.max_message_size;
    http.ping_interval = std::chrono::seconds(options_.ping_interval);
    listeners_ = std::make_unique<app::HttpListeners>(pool_.context(0), common_, *app_, http, log_,
                                                      kInUseHint);
}

void SignalService::register_metrics() {
    using app::MetricType;
    auto rooms = [this] { return rooms_->core().stats(); };
    auto gauge = [&](const char* name, const char* help, auto read) {
        registry_.callback(name, help, MetricType::Gauge, {},
                           [read] { return static_cast<double>(read()); });
    };
    auto counter = [&](const char* name, const char* help, const app::Labels& labels, auto read) {
        registry_.callback(name, help, MetricType::Counter, labels,
                           [read] { return static_cast<double>(read()); });
    };
    auto http = [this] { return listeners_->stats(); };
    gauge("rtc_signal_connections", "Open HTTP and WebSocket connections.",
          [http] { return http().connections; });
    gauge("rtc_signal_websockets", "Open WebSocket sessions.",
          [http] { return http().websockets; });
    gauge("rtc_signal_rooms", "Rooms with at least one peer.", [rooms] { return rooms().rooms; });
    gauge("rtc_signal_peers", "Peers connected to this process.",
          [rooms] { return rooms().peers; });
    gauge("rtc_signal_away_peers", "Peers in their resume grace period.",
          [rooms] { return rooms().away_peers; });
    gauge("rtc_signal_remote_peers", "Peers connected to other processes (Redis).",
          [rooms] { return rooms().remote_peers; });
    counter("rtc_signal_joins_total", "Peers that joined a room.", {},
            [rooms] { return rooms().joins; });
    counter("rtc_signal_resumes_total", "Peers that resumed their id.", {},
            [rooms] { return rooms().resumes; });
    counter("rtc_signal_messages_relayed_total", "Messages delivered to a peer.", {},
            [rooms] { return rooms().relayed; });
    counter("rtc_signal_messages_queued_total", "Messages queued for a dropped peer.", {},
            [rooms] { return rooms().queued; });
    counter("rtc_signal_messages_expired_total", "Queued messages that expired.", {},
            [rooms] { return rooms().expired; });
    const std::pair<const char*, uint64_t signal::RoomStats::*> drops[] = {
        {"bad_json", &signal::RoomStats::drops_bad_json},
        {"bad_message", &signal::RoomStats::drops_bad_message},
        {"rate", &signal::RoomStats::drops_rate},
        {"too_big", &signal::RoomStats::drops_too_big},
        {"unknown_peer", &signal::RoomStats::drops_unknown_peer},
        {"queue_full", &signal::RoomStats::drops_queue_full},
    };
    for (const auto& [reason, field] : drops)
        counter("rtc_signal_drops_total", "Messages dropped, by reason.", {{"reason", reason}},
                [rooms, field = field] { return rooms().*field; });
    const std::pair<const char*, uint64_t net::HttpServerStats::*> closes[] = {
        {"protocol_error", &net::HttpServerStats::protocol_errors},
        {"too_big", &net::HttpServerStats::too_big},
        {"slow_consumer", &net::HttpServerStats::slow_consumers},
        {"ping_timeout", &net::HttpServerStats::ping_timeouts},
    };
    for (const auto& [reason, field] : closes)
        counter("rtc_signal_websocket_errors_total", "WebSockets closed by the server, by reason.",
                {{"reason", reason}}, [http, field = field] { return http().*field; });
    counter("rtc_signal_http_requests_total", "HTTP requests answered, upgrades included.", {},
            [http] { return http().requests; });
    counter("rtc_signal_bad_requests_total", "Malformed HTTP requests.", {},
            [http] { return http().bad_requests; });
    counter("rtc_signal_rejected_connections_total",
            "Connections refused (over --max-connections or a failed TLS handshake).", {},
            [http] { return http().rejected; });
    counter("rtc_signal_cluster_events_total", "Events exchanged with other processes.",
            {{"direction", "out"}}, [rooms] { return rooms().cluster_out; });
    counter("rtc_signal_cluster_events_total", "Events exchanged with other processes.",
            {{"direction", "in"}}, [rooms] { return rooms().cluster_in; });
    counter("rtc_signal_cluster_events_total", "Events exchanged with other processes.",
            {{"direction", "bad"}}, [rooms] { return rooms().cluster_bad; });
    if (bus_)
        gauge("rtc_signal_redis_connected", "1 while the Redis bus is connected.",
              [this] { return bus_->stats().connected ? 1 : 0; });
    if (peerjs_) {
        gauge("rtc_signal_peerjs_clients", "PeerJS clients connected.",
              [this] { return peerjs_->core().stats().clients; });
        counter("rtc_signal_peerjs_relayed_total", "PeerJS messages delivered.", {},
                [this] { return peerjs_->core().stats().relayed; });
        counter("rtc_signal_peerjs_expired_total", "PeerJS EXPIRE messages sent.", {},
                [this] { return peerjs_->core().stats().expired; });
        counter("rtc_signal_peerjs_refused_total", "PeerJS clients refused (key, id, limit).", {},
                [this] {
                    const auto s = peerjs_->core().stats();
                    return s.refused_params + s.refused_key + s.refused_id + s.refused_token +
                           s.refused_id_taken + s.refused_limit;
                });
    }
}

int SignalService::run() {
    app::hold_stop_signals();
    auto& io = pool_.context(0);
    start_redis();
    rooms_ = std::make_unique<RoomsDriver>(io, room_limits(options_), node_id_, bus_.get());
    if (bus_)
        bus_->start(); // its callbacks use rooms_, which exists from here on
    if (options_.peerjs) {
        signal::PeerJsOptions peerjs;
        peerjs.key = options_.peerjs_key;
        peerjs.concurrent_limit = options_.max_connections;
        peerjs.max_message = options_.max_message_size;
        peerjs_ = std::make_unique<PeerJsDriver>(io, peerjs);
    }
    access_ = std::make_unique<AccessPolicy>(options_, load_token_secrets(options_));
    SignalAppCounters counters;
    counters.auth_failures = &registry_.counter("rtc_signal_auth_failures_total",
                                                "Upgrades refused for a missing or bad token.");
    counters.origin_refusals = &registry_.counter("rtc_signal_origin_refusals_total",
                                                  "Upgrades refused for their Origin.");
    counters.join_refusals = &registry_.counter("rtc_signal_join_refusals_total",
                                                "Joins refused (room full, id taken, bad id...).");
    app_ = std::make_unique<SignalApp>(options_, *access_, *rooms_, peerjs_.get(), registry_,
                                       counters, log_);
    bind();
    register_metrics();
    metrics_endpoint_ = app::start_metrics(io, common_, registry_, log_);
    return app::serve(
        pool_, log_, [this] { stop(); }, [this] { reload(); });
}

void SignalService::reload() {
    try {
        access_->set_jwt_secrets(load_token_secrets(options_));
        log_.info("reload", {{"what", "token secrets"}});
    } catch (const app::ToolError& e) {
        log_.error("reload failed, the old secrets stay", {{"error", e.what()}});
    }
    listeners_->reload_tls();
}

void SignalService::stop() {
    asio::post(pool_.context(0), [this] {
        if (metrics_endpoint_)
            metrics_endpoint_->stop();
        rooms_->core().close_all();
        rooms_->stop();
        if (peerjs_) {
            peerjs_->core().close_all();
            peerjs_->stop();
        }
        if (bus_)
            bus_->stop();
        listeners_->stop(kStopGrace, [&io = pool_.context(0)] { io.stop(); });
    });
}

} // namespace rtc::signal_tool

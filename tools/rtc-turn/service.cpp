#include "service.hpp"

#include "app/exit_codes.hpp"
#include "app/listen_error.hpp"
#include "app/serve.hpp"
#include "app/server_metrics.hpp"
#include "app/server_tls.hpp"
#include "net/port_probe.hpp"
#include "tls/context.hpp"

#include <asio/post.hpp>

#include <chrono>
#include <stdexcept>

namespace rtc::turn_tool {

namespace {

constexpr std::chrono::milliseconds kStopGrace{2000};

std::string url_of(std::string_view scheme, const util::Endpoint& e) {
    return std::string(scheme) + "://" + e.to_string();
}

} // namespace

TurnService::TurnService(const app::CommonOptions& common, const TurnOptions& options,
                         app::Logger& log)
    : common_(common), options_(options), log_(log), plan_(plan_turn(common, options)),
      pool_(common.threads), metrics_(registry_, pool_.size()) {
    registry_.add_process_metrics();
    quota_.max_relays = options.max_allocations;
    stun::BindingServerConfig config;
    config.software = plan_.server.software;
    binding_ = std::make_unique<stun::BindingServer>(config);
}

TurnService::~TurnService() = default;

void TurnService::load_tls() {
    bool stream = false, datagram = false;
    for (const auto& url : common_.listen) {
        stream |= url.scheme == app::Scheme::Tls;
        datagram |= url.scheme == app::Scheme::Dtls;
    }
    if (!stream && !datagram)
        return;
    server_tls_ = std::make_unique<app::ServerTls>(common_, log_);
    tls::ServerOptions options;
    options.alpn = {"stun.turn"}; // RFC 7443: TURN/TLS can share 443 behind an ALPN router
    if (stream)
        tls_ = server_tls_->context(options);
    if (datagram) {
        options.transport = tls::Transport::Datagram;
        dtls_ = server_tls_->context(options);
    }
}

void TurnService::reload() {
    try {
        auto users = load_users(options_);
        auto secrets = load_secrets(options_);
        turn::CredentialConfig config{plan_.realm, users, secrets};
        if (!users && secrets.empty())
            throw std::runtime_error("no --user, --users-file or REST secret left");
        if (auto problem = turn::CredentialStore::validate(config))
            throw std::runtime_error(*problem);
        auto store = std::make_shared<const turn::CredentialStore>(std::move(config));
        for (std::size_t t = 0; t < workers_.size(); ++t)
            asio::post(pool_.context(t),
                       [this, t, store] { workers_[t]->set_credentials(*store); });
        log_.info("reloaded users", {{"users", std::to_string(users ? users->size() : 0)},
                                     {"secrets", std::to_string(secrets.size())}});
    } catch (const std::exception& e) {
        log_.error("credentials reload failed, keeping the old ones", {{"error", e.what()}});
    }
    if (server_tls_)
        server_tls_->reload();
}

void TurnService::bind() {
    std::vector<util::Endpoint> udp;
    std::vector<StreamListen> streams;
    for (const auto& url : common_.listen) {
        for (const auto& e : url.endpoints()) {
            if (url.scheme == app::Scheme::Udp)
                udp.push_back(e);
            else if (url.scheme == app::Scheme::Tcp || url.scheme == app::Scheme::Tls)
                streams.push_back({e, url.scheme == app::Scheme::Tls});
            else if (url.scheme == app::Scheme::Dtls)
                streams.push_back({e, true, true});
        }
    }
    net::RelaySocketOptions relay_options;
    if (common_.port_range) {
        relay_options.min_port = common_.port_range->min;
        relay_options.max_port = common_.port_range->max;
    }
    auto users = load_users(options_);
    for (const auto& e : udp)
        app::require_port_free("udp", e, net::Protocol::Udp, app::kStunTurnInUseHint);
    for (const auto& l : streams)
        app::require_port_free(scheme_of(l), l.endpoint,
                               l.datagram ? net::Protocol::Udp : net::Protocol::Tcp,
                               app::kStunTurnInUseHint);
    // Thread 0 binds first so that port 0 resolves once; the other threads join its ports.
    for (std::size_t t = 0; t < pool_.size(); ++t) {
        WorkerSetup setup{
            plan_, users,    *binding_, relay_options, quota_, metrics_, metrics_.snapshot(t),
            t,     &workers_};
        workers_.push_back(std::make_unique<TurnWorker>(pool_.context(t), setup));
        auto& w = *workers_.back();
        w.bind_udp(udp);
        w.bind_streams(streams, tls_, dtls_);
        if (t == 0) {
            udp = w.udp_endpoints();
            streams = w.stream_endpoints();
        }
    }
    for (const auto& e : udp)
        log_.info("listening", {{"url", url_of("udp", e)}});
    for (const auto& l : streams)
        log_.info("listening", {{"url", url_of(scheme_of(l), l.endpoint)}});
    auto relay = [](const std::optional<util::IpAddress>& ip) {
        return ip ? ip->to_string() : std::string("-");
    };
    log_.info("relaying", {{"ipv4", relay(plan_.relay.v4_bind)},
                           {"ipv4_advertised", relay(plan_.relay.v4_advertised)},
                           {"ipv6", relay(plan_.relay.v6_bind)},
                           {"ports", std::to_string(relay_options.min_port) + "-" +
                                         std::to_string(relay_options.max_port)}});
}

void TurnService::start_metrics() {
    metrics_endpoint_ = app::start_metrics(pool_.context(0), common_, registry_, log_);
}

int TurnService::run() {
    app::hold_stop_signals();
    load_tls();
    bind();
    start_metrics();
    for (auto& w : workers_)
        w->start();
    return app::serve(
        pool_, log_, [this] { stop(); }, [this] { reload(); });
}

void TurnService::stop() {
    if (metrics_endpoint_)
        metrics_endpoint_->stop();
    for (std::size_t t = 0; t < workers_.size(); ++t) {
        asio::post(pool_.context(t), [this, t] {
            auto& io = pool_.context(t);
            workers_[t]->stop(kStopGrace, [&io] { io.stop(); });
        });
    }
}

} // namespace rtc::turn_tool

#include "service.hpp"

#include "app/exit_codes.hpp"
#include "net/signals.hpp"
#include "tls/context.hpp"
#include "tls/credentials.hpp"

#include <asio/post.hpp>

#include <chrono>
#include <csignal>

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
    bool needed = false;
    for (const auto& url : common_.listen)
        needed |= url.scheme == app::Scheme::Tls;
    if (!needed)
        return;
    std::shared_ptr<const tls::Credentials> credentials;
    try {
        if (common_.cert_auto()) {
            credentials = tls::Credentials::self_signed(std::chrono::system_clock::now());
            log_.warn("using a self-signed certificate (--cert auto): for local testing only",
                      {{"sha256", credentials->fingerprint_sha256()}});
        } else {
            credentials = tls::Credentials::load_pem_files(common_.cert, common_.key);
        }
        tls_ = std::make_shared<tls::ReloadableContext>(credentials, tls::ServerOptions{});
    } catch (const std::runtime_error& e) {
        throw app::ToolError(std::string("--cert: ") + e.what(),
                             "check that --cert and --key name a PEM chain and its key");
    }
}

void TurnService::reload() {
    try {
        auto users = load_users(options_);
        for (std::size_t t = 0; t < workers_.size(); ++t)
            asio::post(pool_.context(t), [this, t, users] { workers_[t]->set_users(users); });
        log_.info("reloaded users", {{"users", std::to_string(users ? users->size() : 0)}});
    } catch (const std::exception& e) {
        log_.error("users reload failed, keeping the old ones", {{"error", e.what()}});
    }
    if (tls_ && !common_.cert_auto()) {
        try {
            tls_->reload(tls::Credentials::load_pem_files(common_.cert, common_.key));
            log_.info("reloaded certificate", {{"cert", common_.cert}});
        } catch (const std::exception& e) {
            log_.error("certificate reload failed, keeping the old one", {{"error", e.what()}});
        }
    }
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
        }
    }
    net::RelaySocketOptions relay_options;
    if (common_.port_range) {
        relay_options.min_port = common_.port_range->min;
        relay_options.max_port = common_.port_range->max;
    }
    auto users = load_users(options_);
    // Thread 0 binds first so that port 0 resolves once; the other threads join its ports.
    for (std::size_t t = 0; t < pool_.size(); ++t) {
        WorkerSetup setup{plan_,  users,    *binding_,           relay_options,
                          quota_, metrics_, metrics_.snapshot(t)};
        workers_.push_back(std::make_unique<TurnWorker>(pool_.context(t), setup));
        auto& w = *workers_.back();
        w.bind_udp(udp);
        w.bind_streams(streams, tls_);
        if (t == 0) {
            udp = w.udp_endpoints();
            streams = w.stream_endpoints();
        }
    }
    for (const auto& e : udp)
        log_.info("listening", {{"url", url_of("udp", e)}});
    for (const auto& l : streams)
        log_.info("listening", {{"url", url_of(l.tls ? "tls" : "tcp", l.endpoint)}});
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
    if (!common_.metrics)
        return;
    try {
        metrics_endpoint_ = net::MetricsEndpoint::start(pool_.context(0), *common_.metrics,
                                                        [this] { return registry_.render(); });
    } catch (const std::system_error& e) {
        throw app::ToolError("cannot serve metrics on " + url_of("http", *common_.metrics) + ": " +
                                 e.code().message(),
                             "choose another --metrics address");
    }
    log_.info("metrics",
              {{"url", url_of("http", metrics_endpoint_->local_endpoint()) + "/metrics"}});
}

int TurnService::run() {
    load_tls();
    bind();
    start_metrics();
    net::SignalHandler signals(
        pool_.context(0),
        [this](int signal) {
            log_.info("stopping", {{"signal", signal == SIGINT ? "SIGINT" : "SIGTERM"}});
            stop();
        },
        [this] { reload(); });
    for (auto& w : workers_)
        w->start();
    pool_.start();
    pool_.join();
    log_.info("stopped");
    return app::kExitOk;
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

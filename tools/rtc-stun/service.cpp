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

namespace rtc::stun_tool {

namespace {

// Port 0 asks the kernel for a port; RFC 5780 also needs port + 1 free. A probe socket learns a
// free port, then the four addresses are tried together; a few tries cover a taken port + 1.
constexpr int kPortTries = 20;
constexpr std::chrono::milliseconds kStopGrace{2000};

bool all_bindable(asio::io_context& io, const std::array<util::Endpoint, 4>& addresses) {
    std::vector<std::shared_ptr<net::UdpBatchSocket>> held; // held open until all are tried
    for (const auto& a : addresses) {
        std::error_code ec;
        held.push_back(net::UdpBatchSocket::open(io, a, {}, ec));
        if (!held.back())
            return false;
    }
    return true;
}

std::string url_of(std::string_view scheme, const util::Endpoint& e) {
    return std::string(scheme) + "://" + e.to_string();
}

} // namespace

StunService::StunService(const app::CommonOptions& common, const StunOptions& options,
                         app::Logger& log)
    : common_(common), options_(options), log_(log), plan_(plan_udp(common, options)),
      metrics_(registry_), pool_(common.threads) {
    registry_.add_process_metrics();
}

StunService::~StunService() = default;

void StunService::load_tls() {
    bool stream = false, datagram = false;
    for (const auto& url : common_.listen) {
        stream |= url.scheme == app::Scheme::Tls;
        datagram |= url.scheme == app::Scheme::Dtls;
    }
    if (!stream && !datagram)
        return;
    server_tls_ = std::make_unique<app::ServerTls>(common_, log_);
    if (stream)
        tls_ = server_tls_->context();
    if (datagram) {
        tls::ServerOptions options;
        options.transport = tls::Transport::Datagram;
        dtls_ = server_tls_->context(options);
    }
}

void StunService::reload_tls() {
    if (server_tls_)
        server_tls_->reload();
    else
        log_.info("reload", {{"what", "nothing to reload"}});
}

void StunService::bind_udp() {
    auto config = binding_config(options_);
    std::optional<std::array<util::Endpoint, 4>> group;
    if (plan_.rfc5780_primary) {
        for (int attempt = 0; !group; ++attempt) {
            uint16_t port = plan_.rfc5780_primary->port;
            if (port == 0)
                port =
                    net::UdpBatchSocket::open(pool_.context(0), {plan_.rfc5780_primary->address, 0})
                        ->local_endpoint()
                        .port;
            auto addresses = rfc5780_addresses(plan_, port);
            if (plan_.rfc5780_primary->port != 0 || attempt + 1 >= kPortTries ||
                all_bindable(pool_.context(0), addresses))
                group = addresses; // a fixed port that cannot bind fails below, with its URL
        }
        config.rfc5780 = group;
    }
    if (auto problem = stun::BindingServer::validate(config))
        throw app::ConfigError("--alt-address: " + *problem);
    server_ = std::make_unique<stun::BindingServer>(config);

    if (group)
        for (const auto& e : *group)
            app::require_port_free("udp", e, net::Protocol::Udp, kInUseHint);
    for (const auto& e : plan_.plain)
        app::require_port_free("udp", e, net::Protocol::Udp, kInUseHint);
    auto limit = rate_limit_config(options_);
    // Thread 0 binds first so that port 0 resolves once; the other threads join its ports.
    std::vector<util::Endpoint> plain = plan_.plain;
    for (std::size_t t = 0; t < workers_.size(); ++t) {
        auto& w = workers_[t];
        w.responder = std::make_unique<Responder>(*server_, metrics_, limit);
        auto& io = pool_.context(t);
        if (group)
            w.udp.push_back(std::make_unique<UdpWorker>(
                io, std::vector<util::Endpoint>(group->begin(), group->end()), true, *w.responder));
        if (!plain.empty()) {
            w.udp.push_back(std::make_unique<UdpWorker>(io, plain, false, *w.responder));
            if (t == 0)
                plain = w.udp.back()->local_endpoints();
        }
    }
    if (group)
        for (const auto& e : *group)
            log_.info("listening", {{"url", url_of("udp", e)}});
    for (const auto& e : plain)
        log_.info("listening", {{"url", url_of("udp", e)}});
}

void StunService::bind_streams() {
    std::vector<StreamListen> listens;
    for (const auto& url : common_.listen) {
        if (url.scheme != app::Scheme::Tcp && url.scheme != app::Scheme::Tls &&
            url.scheme != app::Scheme::Dtls)
            continue;
        for (const auto& e : url.endpoints())
            listens.push_back({e, url.scheme == app::Scheme::Tls, url.scheme == app::Scheme::Dtls});
    }
    if (listens.empty())
        return;
    const auto scheme = [](const StreamListen& l) {
        return l.dtls ? "dtls" : l.tls ? "tls" : "tcp";
    };
    for (const auto& l : listens)
        app::require_port_free(scheme(l), l.endpoint,
                               l.dtls ? net::Protocol::Udp : net::Protocol::Tcp, kInUseHint);
    for (std::size_t t = 0; t < workers_.size(); ++t) {
        auto& w = workers_[t];
        w.stream =
            std::make_unique<StreamWorker>(pool_.context(t), listens, *w.responder, tls_, dtls_);
        if (t == 0)
            listens = w.stream->local_endpoints();
    }
    for (const auto& l : listens)
        log_.info("listening", {{"url", url_of(scheme(l), l.endpoint)}});
}

void StunService::start_metrics() {
    metrics_endpoint_ = app::start_metrics(pool_.context(0), common_, registry_, log_);
}

int StunService::run() {
    app::hold_stop_signals();
    load_tls();
    workers_.resize(pool_.size());
    bind_udp();
    bind_streams();
    start_metrics();

    for (auto& w : workers_)
        for (auto& u : w.udp)
            u->start();
    return app::serve(
        pool_, log_, [this] { stop(); }, [this] { reload_tls(); });
}

void StunService::stop() {
    if (metrics_endpoint_)
        metrics_endpoint_->stop();
    // Each thread flushes and closes its own sockets, lets TCP/TLS connections finish within a
    // bound, then stops its own event loop.
    for (std::size_t t = 0; t < workers_.size(); ++t) {
        asio::post(pool_.context(t), [this, t] {
            auto& w = workers_[t];
            for (auto& u : w.udp)
                u->close();
            auto& io = pool_.context(t);
            if (w.stream)
                w.stream->stop(kStopGrace, [&io] { io.stop(); });
            else
                io.stop();
        });
    }
}

} // namespace rtc::stun_tool

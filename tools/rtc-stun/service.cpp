#include "service.hpp"

#include "app/exit_codes.hpp"

#include <asio/post.hpp>
#include <asio/signal_set.hpp>

#include <csignal>

namespace rtc::stun_tool {

StunService::StunService(const app::CommonOptions& common, const StunOptions& options,
                         app::Logger& log)
    : common_(common), options_(options), log_(log), plan_(plan_udp(common, options)),
      metrics_(registry_), pool_(common.threads) {
    registry_.add_process_metrics();
}

StunService::~StunService() = default;

namespace {
// Port 0 asks the kernel for a port; RFC 5780 also needs port + 1 free. A probe socket learns a
// free port, then the four sockets are bound; a few tries cover a port + 1 that is taken.
constexpr int kPortTries = 20;

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
} // namespace

void StunService::bind_udp() {
    auto config = binding_config(options_);
    auto limit = rate_limit_config(options_);
    std::optional<std::array<util::Endpoint, 4>> group;

    if (plan_.rfc5780_primary) {
        for (int attempt = 0; !group; ++attempt) {
            uint16_t port = plan_.rfc5780_primary->port;
            if (port == 0)
                port = net::UdpBatchSocket::open(pool_.context(0),
                                                 {plan_.rfc5780_primary->address, 0})
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

    // Thread 0 binds first so that port 0 resolves once; the other threads join its ports.
    std::vector<util::Endpoint> plain = plan_.plain;
    for (std::size_t t = 0; t < pool_.size(); ++t) {
        auto& io = pool_.context(t);
        if (group)
            udp_workers_.push_back(std::make_unique<UdpWorker>(
                io, std::vector<util::Endpoint>(group->begin(), group->end()), true, *server_,
                metrics_, limit));
        if (!plain.empty()) {
            udp_workers_.push_back(
                std::make_unique<UdpWorker>(io, plain, false, *server_, metrics_, limit));
            if (t == 0)
                plain = udp_workers_.back()->local_endpoints();
        }
    }
    std::vector<util::Endpoint> bound;
    if (group)
        bound.assign(group->begin(), group->end());
    bound.insert(bound.end(), plain.begin(), plain.end());
    for (const auto& e : bound) {
        auto url = "udp://" + e.to_string();
        log_.info("listening", {{"url", url}});
    }
}

int StunService::run() {
    bind_udp();
    asio::signal_set signals(pool_.context(0), SIGINT, SIGTERM);
    signals.async_wait([this](const std::error_code& ec, int signal) {
        if (ec)
            return;
        log_.info("stopping", {{"signal", signal == SIGINT ? "SIGINT" : "SIGTERM"}});
        stop();
    });
    asio::signal_set reload(pool_.context(0), SIGHUP);
    reload.async_wait([this](const std::error_code& ec, int) {
        if (!ec)
            log_.info("reload", {{"what", "nothing to reload without TLS listeners"}});
    });
    for (auto& w : udp_workers_)
        w->start();
    pool_.start();
    pool_.join();
    log_.info("stopped");
    return app::kExitOk;
}

void StunService::stop() {
    // Each worker thread flushes and closes its own sockets, then stops its own context.
    std::size_t per_thread = udp_workers_.size() / pool_.size();
    for (std::size_t t = 0; t < pool_.size(); ++t) {
        asio::post(pool_.context(t), [this, t, per_thread] {
            for (std::size_t i = 0; i < per_thread; ++i)
                udp_workers_[t * per_thread + i]->close();
            pool_.context(t).stop();
        });
    }
}

} // namespace rtc::stun_tool

#pragma once
// rtc-stun at run time: worker threads with their own sockets, TLS credentials, the metrics
// endpoint and signal handling.
#include "responder.hpp"
#include "stream_worker.hpp"
#include "stun_options.hpp"
#include "udp_worker.hpp"

#include "app/log.hpp"
#include "app/server_tls.hpp"
#include "app/metrics.hpp"
#include "net/io_pool.hpp"
#include "net/metrics_endpoint.hpp"

#include <memory>
#include <vector>

namespace rtc::tls {
class ReloadableContext;
}

namespace rtc::stun_tool {

class StunService {
public:
    StunService(const app::CommonOptions& common, const StunOptions& options, app::Logger& log);
    ~StunService();

    // Binds everything (throws app::ToolError when it cannot), logs each listening URL, then
    // serves until SIGINT/SIGTERM. Returns the exit code.
    int run();

private:
    struct Worker { // everything one thread owns
        std::unique_ptr<Responder> responder;
        std::vector<std::unique_ptr<UdpWorker>> udp;
        std::unique_ptr<StreamWorker> stream;
    };

    void load_tls();
    void reload_tls();
    void bind_udp();
    void bind_streams();
    void start_metrics();
    void stop();

    const app::CommonOptions& common_;
    const StunOptions& options_;
    app::Logger& log_;
    UdpPlan plan_;
    std::unique_ptr<stun::BindingServer> server_;
    std::unique_ptr<app::ServerTls> server_tls_;   // the certificate, when any listener needs it
    std::shared_ptr<tls::ReloadableContext> tls_;  // tls:// listeners
    std::shared_ptr<tls::ReloadableContext> dtls_; // dtls:// listeners (own cookie secrets)
    app::MetricsRegistry registry_;
    StunMetrics metrics_;
    net::IoPool pool_;
    std::vector<Worker> workers_;
    std::shared_ptr<net::MetricsEndpoint> metrics_endpoint_;
};

} // namespace rtc::stun_tool

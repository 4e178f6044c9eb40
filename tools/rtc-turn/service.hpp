#pragma once
// rtc-turn at run time: one TurnWorker per thread, TLS credentials, the metrics endpoint and
// signal handling (SIGHUP reloads users, certificates; allocations stay).
#include "app/server_tls.hpp"
#include "turn_metrics.hpp"
#include "turn_options.hpp"
#include "worker.hpp"

#include "app/log.hpp"
#include "app/metrics.hpp"
#include "net/io_pool.hpp"
#include "net/metrics_endpoint.hpp"

#include <memory>
#include <vector>

namespace rtc::turn_tool {

class TurnService {
public:
    TurnService(const app::CommonOptions& common, const TurnOptions& options, app::Logger& log);
    ~TurnService();

    // Binds everything (throws app::ToolError when it cannot), logs each listening URL, then
    // serves until SIGINT/SIGTERM. Returns the exit code.
    int run();

private:
    void load_tls();
    void reload();
    void bind();
    void start_metrics();
    void stop();

    const app::CommonOptions& common_;
    const TurnOptions& options_;
    app::Logger& log_;
    TurnPlan plan_;
    std::unique_ptr<stun::BindingServer> binding_;
    std::unique_ptr<app::ServerTls> server_tls_; // the certificate, when a tls:// listener needs it
    std::shared_ptr<tls::ReloadableContext> tls_;  // tls:// listeners
    std::shared_ptr<tls::ReloadableContext> dtls_; // dtls:// listeners
    app::MetricsRegistry registry_;
    net::IoPool pool_;
    TurnMetrics metrics_;
    SharedQuota quota_;
    std::vector<std::unique_ptr<TurnWorker>> workers_;
    std::shared_ptr<net::MetricsEndpoint> metrics_endpoint_;
};

} // namespace rtc::turn_tool

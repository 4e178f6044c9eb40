#pragma once
// rtc-stun at run time: worker threads, their sockets, the metrics endpoint and signal handling.
#include "stun_options.hpp"
#include "udp_worker.hpp"

#include "app/log.hpp"
#include "app/metrics.hpp"
#include "net/io_pool.hpp"

#include <memory>
#include <vector>

namespace rtc::stun_tool {

class StunService {
public:
    StunService(const app::CommonOptions& common, const StunOptions& options, app::Logger& log);
    ~StunService();

    // Binds everything (throws app::ToolError when it cannot), logs each listening URL, then
    // serves until SIGINT/SIGTERM. Returns the exit code.
    int run();

private:
    void bind_udp();
    void stop();

    const app::CommonOptions& common_;
    const StunOptions& options_;
    app::Logger& log_;
    UdpPlan plan_;
    std::unique_ptr<stun::BindingServer> server_;
    app::MetricsRegistry registry_;
    StunMetrics metrics_;
    net::IoPool pool_;
    std::vector<std::unique_ptr<UdpWorker>> udp_workers_;
};

} // namespace rtc::stun_tool

#pragma once
// rtc-signal at run time: the listeners, TLS, the rooms (and PeerJS) cores, the Redis bus,
// metrics and signal handling, all on one event-loop thread.
#include "access.hpp"
#include "room_sessions.hpp"
#include "signal_app.hpp"
#include "signal_options.hpp"

#include "app/cli.hpp"
#include "app/http_listeners.hpp"
#include "app/log.hpp"
#include "app/metrics.hpp"
#include "net/http_server.hpp"
#include "net/io_pool.hpp"
#include "net/metrics_endpoint.hpp"
#include "net/redis_bus.hpp"

#include <memory>
#include <vector>

namespace rtc::signal_tool {

class SignalService {
public:
    SignalService(const app::CommonOptions& common, const SignalOptions& options, app::Logger& log);
    ~SignalService();

    // Binds everything (throws app::ToolError when it cannot), logs each listening URL, then
    // serves until SIGINT/SIGTERM. Returns the exit code.
    int run();

private:
    void start_redis();
    void bind();
    void register_metrics();
    void reload();
    void stop();

    const app::CommonOptions& common_;
    const SignalOptions& options_;
    app::Logger& log_;
    net::IoPool pool_;
    app::MetricsRegistry registry_;
    std::string node_id_;
    std::string redis_url_;
    std::unique_ptr<net::RedisBus> bus_;
    std::unique_ptr<RoomsDriver> rooms_;
    std::unique_ptr<PeerJsDriver> peerjs_;
    std::unique_ptr<AccessPolicy> access_;
    std::unique_ptr<SignalApp> app_;
    std::unique_ptr<app::HttpListeners> listeners_;
    std::shared_ptr<net::MetricsEndpoint> metrics_endpoint_;
};

} // namespace rtc::signal_tool

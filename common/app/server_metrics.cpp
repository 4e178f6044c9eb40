#include "app/server_metrics.hpp"

#include "app/exit_codes.hpp"

namespace rtc::app {

std::shared_ptr<net::MetricsEndpoint> start_metrics(asio::io_context& io,
                                                    const CommonOptions& options,
                                                    const MetricsRegistry& registry, Logger& log) {
    if (!options.metrics)
        return nullptr;
    std::shared_ptr<net::MetricsEndpoint> endpoint;
    try {
        endpoint = net::MetricsEndpoint::start(io, *options.metrics,
                                               [&registry] { return registry.render(); });
    } catch (const std::system_error& e) {
        throw ToolError("cannot serve metrics on http://" + options.metrics->to_string() + ": " +
                            e.code().message(),
                        "choose another --metrics address");
    }
    log.info("metrics", {{"url", "http://" + endpoint->local_endpoint().to_string() + "/metrics"}});
    return endpoint;
}

} // namespace rtc::app

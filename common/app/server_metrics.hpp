#pragma once
// `--metrics HOST:PORT` for every server: serve the registry at /metrics (and /healthz) on the
// given io_context and log where, with the real port when port 0 was asked for.
#include "app/cli.hpp"
#include "app/log.hpp"
#include "app/metrics.hpp"
#include "net/metrics_endpoint.hpp"

#include <asio/io_context.hpp>

#include <memory>

namespace rtc::app {

// Null when --metrics was not given. Throws ToolError when the address cannot be bound. The
// registry must outlive the endpoint.
std::shared_ptr<net::MetricsEndpoint> start_metrics(asio::io_context& io,
                                                    const CommonOptions& options,
                                                    const MetricsRegistry& registry, Logger& log);

} // namespace rtc::app

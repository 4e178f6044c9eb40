#pragma once
// The HTTP endpoint every server exposes with --metrics HOST:PORT: GET /metrics answers the
// Prometheus text format from a function the app supplies, GET /healthz answers "ok".
//
//   auto metrics = rtc::net::MetricsEndpoint::start(io, *Endpoint::parse("127.0.0.1:9100"),
//                                                   [&registry] { return registry.render(); });
//   uint16_t port = metrics->local_endpoint().port;   // port 0 picks a free one
//   metrics->stop();
//
// The function runs on the io_context's thread, once per request.
#include "util/ip_address.hpp"

#include <asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace rtc::net {

class StreamServer;

struct MetricsEndpointOptions {
    std::size_t max_connections = 64;
    std::chrono::milliseconds idle_timeout{std::chrono::seconds(30)};
};

class MetricsEndpoint {
public:
    using Source = std::function<std::string()>;

    // Throws std::system_error if the address cannot be bound.
    static std::shared_ptr<MetricsEndpoint> start(asio::io_context& io,
                                                  const util::Endpoint& listen, Source metrics,
                                                  MetricsEndpointOptions options = {});
    util::Endpoint local_endpoint() const;
    void stop();

    explicit MetricsEndpoint(std::shared_ptr<StreamServer> server);

private:
    std::shared_ptr<StreamServer> server_;
};

} // namespace rtc::net

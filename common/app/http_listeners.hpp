#pragma once
// The http:// and https:// listeners of --listen for a tool's HttpApp (CLI.md "Endpoints"):
// bound together, TLS from --cert/--key (ALPN http/1.1) when an https:// URL asks for it, each
// logged as "listening" with its real port, stopped together.
#include "app/cli.hpp"
#include "app/log.hpp"
#include "app/server_tls.hpp"
#include "net/http_server.hpp"

#include <asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

namespace rtc::app {

class HttpListeners {
public:
    // Binds every http/https endpoint of common.listen (other schemes are the tool's own).
    // Throws ToolError: cannot_listen() naming the URL, with `in_use_hint`, or a --cert error.
    HttpListeners(asio::io_context& io, const CommonOptions& common, net::HttpApp& app,
                  const net::HttpServerOptions& http, Logger& log, std::string_view in_use_hint);

    // The counters of every listener, summed.
    net::HttpServerStats stats() const;
    // SIGHUP: the certificate files again (a failure is logged, the old one stays).
    void reload_tls();
    // Stops every listener within `grace`; `done` runs once all have stopped (at once if none).
    void stop(std::chrono::milliseconds grace, std::function<void()> done);

private:
    std::unique_ptr<ServerTls> tls_;
    std::vector<std::shared_ptr<net::HttpServer>> servers_;
};

} // namespace rtc::app

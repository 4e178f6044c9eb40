#include "app/http_listeners.hpp"

#include "app/listen_error.hpp"

namespace rtc::app {

HttpListeners::HttpListeners(asio::io_context& io, const CommonOptions& common, net::HttpApp& app,
                             const net::HttpServerOptions& http, Logger& log,
                             std::string_view in_use_hint) {
    std::shared_ptr<tls::ReloadableContext> tls;
    for (const auto& url : common.listen)
        if (url.scheme == Scheme::Https && !tls) {
            tls_ = std::make_unique<ServerTls>(common, log);
            tls::ServerOptions tls_options;
            tls_options.alpn = {"http/1.1"};
            tls = tls_->context(tls_options);
        }
    for (const auto& url : common.listen) {
        if (url.scheme != Scheme::Http && url.scheme != Scheme::Https)
            continue;
        const bool https = url.scheme == Scheme::Https;
        const char* scheme = https ? "https" : "http";
        for (const auto& endpoint : url.endpoints()) {
            auto options = http;
            options.tls = https ? tls : nullptr;
            try {
                servers_.push_back(net::HttpServer::start(io, endpoint, app, options));
            } catch (const std::system_error& e) {
                throw cannot_listen(scheme, endpoint, e.code(), in_use_hint);
            }
            log.info("listening", {{"url", std::string(scheme) + "://" +
                                               servers_.back()->local_endpoint().to_string()}});
        }
    }
}

net::HttpServerStats HttpListeners::stats() const {
    net::HttpServerStats total;
    for (const auto& s : servers_) {
        const auto st = s->stats();
        total.connections += st.connections;
        total.websockets += st.websockets;
        total.requests += st.requests;
        total.bad_requests += st.bad_requests;
        total.protocol_errors += st.protocol_errors;
        total.too_big += st.too_big;
        total.slow_consumers += st.slow_consumers;
        total.ping_timeouts += st.ping_timeouts;
        total.messages_in += st.messages_in;
        total.messages_out += st.messages_out;
        total.rejected += st.rejected;
    }
    return total;
}

void HttpListeners::reload_tls() {
    if (tls_)
        tls_->reload();
}

void HttpListeners::stop(std::chrono::milliseconds grace, std::function<void()> done) {
    if (servers_.empty()) {
        if (done)
            done();
        return;
    }
    auto remaining = std::make_shared<std::size_t>(servers_.size());
    for (auto& s : servers_)
        s->stop(grace, [remaining, done] {
            if (--*remaining == 0 && done)
                done();
        });
}

} // namespace rtc::app

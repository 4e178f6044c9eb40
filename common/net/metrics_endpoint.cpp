#include "net/metrics_endpoint.hpp"

#include "http/request_parser.hpp"
#include "http/response.hpp"
#include "net/stream_server.hpp"

#include <exception>
#include <string_view>

namespace rtc::net {

namespace {

constexpr std::string_view kPrometheusType = "text/plain; version=0.0.4";

class MetricsHandler final : public StreamHandler {
public:
    MetricsHandler(StreamConnection& connection,
                   std::shared_ptr<const MetricsEndpoint::Source> source)
        : connection_(connection), source_(std::move(source)),
          parser_(http::ParserLimits{.max_line = 4096,
                                     .max_header_bytes = 16 * 1024,
                                     .max_headers = 64,
                                     .max_body = 1024}) {}

    std::size_t on_data(std::span<const uint8_t> data) override {
        buffer_.append(reinterpret_cast<const char*>(data.data()), data.size());
        // Each round answers one pipelined request; the parser limits bound the buffer.
        for (int round = 0; round < 64 && !closed_; ++round) {
            const auto status = parser_.parse(buffer_);
            if (status == http::ParseStatus::NeedMore)
                break;
            if (status == http::ParseStatus::Error) {
                const auto reason = http::to_string(parser_.error());
                respond({.status = http::status_for(parser_.error()),
                         .content_type = "text/plain",
                         .body = reason,
                         .keep_alive = false});
                break;
            }
            answer(parser_.request());
            buffer_.erase(0, parser_.consumed());
            parser_.reset();
        }
        return data.size();
    }

private:
    void answer(const http::Request& request) {
        const bool keep_alive = request.keep_alive();
        const bool head = request.method == "HEAD";
        const bool readable = head || request.method == "GET";
        const auto path = request.path();
        if (path != "/metrics" && path != "/healthz") {
            respond({.status = 404,
                     .content_type = "text/plain",
                     .body = "not found",
                     .keep_alive = keep_alive,
                     .head = head});
            return;
        }
        if (!readable) {
            respond({.status = 405,
                     .content_type = "text/plain",
                     .body = "method not allowed",
                     .keep_alive = keep_alive},
                    true);
            return;
        }
        if (path == "/healthz") {
            respond({.status = 200,
                     .content_type = "text/plain",
                     .body = "ok",
                     .keep_alive = keep_alive,
                     .head = head});
            return;
        }
        std::string body;
        try {
            body = (*source_)();
        } catch (const std::exception&) {
            respond({.status = 500,
                     .content_type = "text/plain",
                     .body = "metrics unavailable",
                     .keep_alive = false});
            return;
        }
        respond({.status = 200,
                 .content_type = kPrometheusType,
                 .body = body,
                 .keep_alive = keep_alive,
                 .head = head});
    }

    // Adds Date (RFC 9110 §6.6.1) and, for a 405, Allow (RFC 9110 §15.5.6).
    void respond(http::Response response, bool allow = false) {
        const auto date = http::http_date(std::chrono::system_clock::now());
        const http::Header extra[] = {
            {"Date", date}, {"Cache-Control", "no-store"}, {"Allow", "GET, HEAD"}};
        response.extra_headers = std::span<const http::Header>(extra, allow ? 3 : 2);
        out_.clear();
        http::write_response(out_, response);
        connection_.write({reinterpret_cast<const uint8_t*>(out_.data()), out_.size()});
        if (!response.keep_alive) {
            closed_ = true;
            connection_.close();
        }
    }

    StreamConnection& connection_;
    std::shared_ptr<const MetricsEndpoint::Source> source_;
    http::RequestParser parser_;
    std::string buffer_;
    std::string out_;
    bool closed_ = false;
};

} // namespace

MetricsEndpoint::MetricsEndpoint(std::shared_ptr<StreamServer> server)
    : server_(std::move(server)) {}

std::shared_ptr<MetricsEndpoint> MetricsEndpoint::start(asio::io_context& io,
                                                        const util::Endpoint& listen,
                                                        Source metrics,
                                                        MetricsEndpointOptions options) {
    auto source = std::make_shared<const Source>(std::move(metrics));
    StreamServerOptions so;
    so.max_connections = options.max_connections;
    so.idle_timeout = options.idle_timeout;
    so.max_buffered_bytes = 4 * 1024 * 1024; // a large /metrics page still fits
    auto server = StreamServer::start(
        io, listen,
        [source](StreamConnection& c) { return std::make_unique<MetricsHandler>(c, source); }, so);
    return std::make_shared<MetricsEndpoint>(std::move(server));
}

util::Endpoint MetricsEndpoint::local_endpoint() const {
    return server_->local_endpoint();
}

void MetricsEndpoint::stop() {
    server_->stop(std::chrono::seconds(1));
}

} // namespace rtc::net

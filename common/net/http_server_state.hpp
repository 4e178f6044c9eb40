#pragma once
// Private to http_server*.cpp and http_session*.cpp: what every session of one HttpServer
// shares. Lives as long as the server handle or any of its sessions.
#include "net/http_server.hpp"
#include "net/stream_server.hpp"

#include <asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_set>
#include <vector>

namespace rtc::net {

class HttpSession;

// The unsent output of a connection, if StreamConnection can tell it. It cannot yet: until it
// gains `std::size_t buffered_output() const`, a slow WebSocket consumer is only caught by the
// StreamServer's max_buffered_bytes, which drops the connection without a Close frame.
template <typename Connection> inline constexpr bool kCountsOutput = requires(const Connection& c) {
    { c.buffered_output() } -> std::convertible_to<std::size_t>;
};

template <typename Connection>
std::optional<std::size_t> unsent_output(const Connection& connection) {
    if constexpr (kCountsOutput<Connection>)
        return connection.buffered_output();
    else
        return std::nullopt;
}

inline constexpr bool kPreciseOutputLimit = kCountsOutput<StreamConnection>;

struct HttpCounters {
    std::atomic<uint64_t> websockets{0}, requests{0}, bad_requests{0}, protocol_errors{0},
        too_big{0}, slow_consumers{0}, ping_timeouts{0}, messages_in{0}, messages_out{0};
};

struct HttpServer::State : std::enable_shared_from_this<HttpServer::State> {
    using Clock = std::chrono::steady_clock;

    State(asio::io_context& context, HttpApp& application, HttpServerOptions server_options)
        : io(context), app(application), options(std::move(server_options)), stop_timer(context) {}

    // Everything below runs on the io_context's thread (the counters excepted).
    void add(HttpSession* session) { sessions.insert(session); }
    // `notify`: may finish a stop() once the last session is gone (false from destructors).
    void remove(HttpSession* session, bool notify);
    void do_stop(std::chrono::milliseconds grace, std::function<void()> done);
    void finish_stop();

    asio::io_context& io;
    HttpApp& app;
    const HttpServerOptions options;
    std::shared_ptr<StreamServer> stream;
    HttpCounters counters;
    std::unordered_set<HttpSession*> sessions;
    bool stopping = false;
    bool stream_stopped = false;
    Clock::time_point stop_deadline{};
    asio::steady_timer stop_timer;
    std::vector<std::function<void()>> stop_done;
};

} // namespace rtc::net

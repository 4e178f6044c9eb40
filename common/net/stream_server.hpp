#pragma once
// TCP (optionally TLS) server: an acceptor plus one session per connection, each driving a
// protocol handler the tool supplies. Limits have defaults; stop() is graceful and bounded.
//
//   struct Echo : rtc::net::StreamHandler {
//       rtc::net::StreamConnection& conn;
//       explicit Echo(rtc::net::StreamConnection& c) : conn(c) {}
//       std::size_t on_data(std::span<const uint8_t> d) override { conn.write(d); return d.size();
//       }
//   };
//   rtc::net::StreamServerOptions opts;
//   opts.tls = reloadable_context;                     // omit for plain TCP
//   auto server = rtc::net::StreamServer::start(io, *Endpoint::parse("0.0.0.0:5349"),
//       [](rtc::net::StreamConnection& c) { return std::make_unique<Echo>(c); }, opts);
//   server->stop(std::chrono::seconds(5), [] { /* every connection is gone */ });
//
// Everything runs on the io_context's thread; stop() and the stats may be called from anywhere.
//
// Memory: an idle connection owns no buffer. A session waits for readability, reads into one
// buffer per thread, hands the bytes to its handler at once and keeps only what the handler
// left unconsumed; queued output is freed once the kernel took it. Timeouts need no timer per
// connection: the server keeps its sessions on lists ordered by deadline and runs one timer.
#include "util/ip_address.hpp"

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace rtc::tls {
class ReloadableContext;
}

namespace rtc::net {

// What a handler sees of its connection. Valid from the factory call until on_close() returns.
class StreamConnection {
public:
    virtual ~StreamConnection() = default;
    // Queues bytes (encrypted under TLS). False once closing, or if the connection exceeded
    // max_buffered_bytes of unsent output (it is then closed).
    virtual bool write(std::span<const uint8_t> data) = 0;
    // Sends what is queued (and close_notify under TLS), then closes.
    virtual void close() = 0;
    virtual const util::Endpoint& remote() const = 0;
    virtual const util::Endpoint& local() const = 0;
    virtual bool is_tls() const = 0;
    virtual std::string_view alpn() const = 0; // negotiated protocol (RFC 7301), empty if none
    // Output queued and not yet handed to the kernel (ciphertext under TLS). A handler that
    // checks it before writing can refuse a slow consumer before max_buffered_bytes closes it.
    virtual std::size_t buffered_output() const { return 0; }
};

class StreamHandler {
public:
    virtual ~StreamHandler() = default;
    // Received bytes (decrypted). Returns how many it consumed; it is called again while it
    // consumes something, and the rest is presented again with the next bytes.
    virtual std::size_t on_data(std::span<const uint8_t> data) = 0;
    // The connection ended (peer, error, timeout, close or stop); called once, from the event
    // loop, never from inside on_data().
    virtual void on_close() {}
};

struct StreamServerOptions {
    std::size_t max_connections = 1024;
    std::chrono::milliseconds idle_timeout{std::chrono::minutes(5)};
    std::chrono::milliseconds handshake_timeout{std::chrono::seconds(10)}; // TLS only
    std::size_t max_buffered_bytes = 256 * 1024; // unconsumed input, and unsent output, each
    std::size_t read_size = 16 * 1024;           // bytes per read (one buffer per thread)
    std::shared_ptr<tls::ReloadableContext> tls; // null: plain TCP
    bool reuse_port = false;                     // SO_REUSEPORT: one acceptor per thread
    int backlog = 1024;
};

struct StreamServerStats {
    uint64_t accepted = 0;
    uint64_t rejected = 0; // over max_connections or refused by the factory
    uint64_t accept_errors = 0;
    uint64_t handshake_failures = 0;
    uint64_t timeouts = 0;  // idle or handshake
    uint64_t overflows = 0; // max_buffered_bytes exceeded
    uint64_t active = 0;
};

class StreamSession;

class StreamServer : public std::enable_shared_from_this<StreamServer> {
public:
    // Called once the connection is ready for data (after the TLS handshake). nullptr refuses.
    using HandlerFactory = std::function<std::unique_ptr<StreamHandler>(StreamConnection&)>;

    // Binds and starts accepting (IPV6_V6ONLY on IPv6). Throws std::system_error.
    static std::shared_ptr<StreamServer> start(asio::io_context& io, const util::Endpoint& listen,
                                               HandlerFactory factory,
                                               StreamServerOptions options = {});
    ~StreamServer();

    util::Endpoint local_endpoint() const { return local_; }
    // Stops accepting, closes every connection gracefully, and force-closes what is left after
    // `grace`. `done` runs on the io_context once no connection remains.
    void stop(std::chrono::milliseconds grace = std::chrono::seconds(5),
              std::function<void()> done = {});
    StreamServerStats stats() const;

    struct Private;
    StreamServer(asio::io_context& io, HandlerFactory factory, StreamServerOptions options,
                 Private);

private:
    friend class StreamSession;
    using Clock = std::chrono::steady_clock;
    using Executor = asio::io_context::executor_type;
    using Socket = asio::basic_stream_socket<asio::ip::tcp, Executor>;
    struct Counters {
        std::atomic<uint64_t> accepted{0}, rejected{0}, accept_errors{0}, handshake_failures{0},
            timeouts{0}, overflows{0}, active{0};
    };
    // Every live session is on exactly one list, oldest first. Each timed list has one timeout
    // for all its entries, so its first entry is the next to expire.
    enum class Queue : uint8_t { Handshake, Idle, Closing, Untimed, None };
    static constexpr std::size_t kQueues = 4;
    static constexpr std::array<Queue, 3> kTimedQueues{Queue::Handshake, Queue::Idle,
                                                       Queue::Closing};
    struct SessionList {
        StreamSession* first = nullptr;
        StreamSession* last = nullptr;
    };

    void open(const util::Endpoint& listen);
    void accept();
    void on_accept(Socket socket);
    // Puts the session at the end of `queue`, with `now` as the start of its timeout.
    void enqueue(StreamSession& session, Queue queue, Clock::time_point now);
    // Idle list only: activity restarts the idle timeout.
    void touch(StreamSession& session, Clock::time_point now);
    void unlink(StreamSession& session);
    void on_session_end(StreamSession& session);
    // A session destroyed without ending (its io_context went away first).
    void forget(StreamSession& session);
    std::vector<std::shared_ptr<StreamSession>> live_sessions() const;
    std::chrono::milliseconds timeout(Queue queue) const;
    void arm_sweep();
    void sweep();
    void do_stop(std::chrono::milliseconds grace, std::function<void()> done);
    void maybe_done();

    asio::io_context& io_;
    asio::basic_socket_acceptor<asio::ip::tcp, Executor> acceptor_;
    asio::steady_timer retry_timer_;
    asio::steady_timer stop_timer_;
    asio::steady_timer sweep_timer_;
    Clock::time_point sweep_at_ = Clock::time_point::max(); // max: not armed
    HandlerFactory factory_;
    StreamServerOptions options_;
    util::Endpoint local_;
    bool stopping_ = false;
    std::function<void()> done_;
    std::array<SessionList, kQueues> lists_;
    std::size_t live_ = 0;
    Counters counters_;
};

} // namespace rtc::net

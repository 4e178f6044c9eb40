#pragma once
// DTLS server on one UdpBatchSocket: a stateless cookie check (RFC 6347 §4.2.1) in front of
// per-client sessions keyed by the client's address, each driving a tls::Engine. Established
// sessions are handed to the tool through StreamServer's StreamConnection / StreamHandler, so a
// TLS handler serves DTLS unchanged; message boundaries are kept: on_data() gets one decrypted
// record, and each write() sends one record.
//
//   rtc::tls::ServerOptions so;
//   so.transport = rtc::tls::Transport::Datagram;
//   rtc::net::DtlsServerOptions opts;
//   opts.tls = std::make_shared<rtc::tls::ReloadableContext>(creds, so);
//   auto server = rtc::net::DtlsServer::start(io, *Endpoint::parse("0.0.0.0:5349"),
//       [](rtc::net::StreamConnection& c) { return std::make_unique<Echo>(c); }, opts);
//   server->stop([] { /* every session is gone */ });
//
// A ClientHello without a valid cookie is answered from a fixed buffer and leaves no state;
// only a ClientHello carrying a valid cookie creates a session. A multi-threaded tool starts
// one server per io_context on the same address (SO_REUSEPORT, the default): the kernel keeps a
// client on one thread, and all of them share the ReloadableContext's cookie secrets.
// Everything runs on the io_context's thread; stop() and stats() may be called from anywhere.
#include "net/stream_server.hpp"
#include "net/udp_batch_socket.hpp"
#include "tls/dtls_hello.hpp"
#include "util/ip_address.hpp"

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

namespace rtc::tls {
class CookieJar;
class ReloadableContext;
} // namespace rtc::tls

namespace rtc::net {

struct DtlsServerOptions {
    // Required: a server context built with tls::Transport::Datagram.
    std::shared_ptr<tls::ReloadableContext> tls;
    std::size_t max_sessions = 1024;
    std::chrono::milliseconds idle_timeout{std::chrono::minutes(5)};
    std::chrono::milliseconds handshake_timeout{std::chrono::seconds(10)};
    // A cookie stays valid for one to two periods (current and previous secret).
    std::chrono::milliseconds cookie_rotation{std::chrono::seconds(30)};
    UdpBatchOptions udp; // SO_REUSEPORT by default
};

struct DtlsServerStats {
    uint64_t hello_verify_sent = 0; // HelloVerifyRequests (no cookie or a bad one)
    uint64_t bad_cookies = 0;       // ClientHellos whose cookie did not verify
    uint64_t dropped = 0;           // datagrams from unknown clients that were no ClientHello
    uint64_t accepted = 0;          // sessions created (valid cookie)
    uint64_t rejected = 0;          // over max_sessions, stopping, or refused by the factory
    uint64_t established = 0;       // handshakes completed
    uint64_t handshake_failures = 0;
    uint64_t timeouts = 0; // idle or handshake
    uint64_t active = 0;
};

class DtlsSession;

class DtlsServer : public std::enable_shared_from_this<DtlsServer> {
public:
    using HandlerFactory = StreamServer::HandlerFactory;
    using TimePoint = std::chrono::steady_clock::time_point;

    // Binds and starts reading. Throws std::system_error if the socket cannot be bound and
    // std::invalid_argument without a datagram server context.
    static std::shared_ptr<DtlsServer> start(asio::io_context& io, const util::Endpoint& listen,
                                             HandlerFactory factory, DtlsServerOptions options);
    ~DtlsServer();
    DtlsServer(const DtlsServer&) = delete;
    DtlsServer& operator=(const DtlsServer&) = delete;

    util::Endpoint local_endpoint() const { return local_; }
    // Stops taking clients, sends close_notify to every established session, closes the socket;
    // `done` runs on the io_context once every handler has had on_close().
    void stop(std::function<void()> done = {});
    DtlsServerStats stats() const;
    UdpSocketStats socket_stats() const;

    struct Private;
    DtlsServer(asio::io_context& io, HandlerFactory factory, DtlsServerOptions options, Private);

private:
    friend class DtlsSession;
    using Sessions = std::unordered_map<util::Endpoint, std::unique_ptr<DtlsSession>>;
    struct Counters {
        std::atomic<uint64_t> hello_verify_sent{0}, bad_cookies{0}, dropped{0}, accepted{0},
            rejected{0}, established{0}, handshake_failures{0}, timeouts{0}, active{0};
    };

    void on_batch(std::span<const ReceivedDatagram> batch);
    void on_unknown(const ReceivedDatagram& d, TimePoint now);
    void after_io(DtlsSession& s, TimePoint now);
    void deliver(DtlsSession& s);
    void drain(DtlsSession& s);
    void kill(DtlsSession& s);
    void schedule_reap();
    void reap();
    void arm_timer(TimePoint when);
    void on_timer();
    void do_stop(std::function<void()> done);

    asio::io_context& io_;
    std::shared_ptr<UdpBatchSocket> socket_;
    asio::steady_timer timer_;
    std::optional<TimePoint> timer_expiry_;
    HandlerFactory factory_;
    DtlsServerOptions options_;
    std::shared_ptr<tls::CookieJar> cookies_;
    util::Endpoint local_;
    Sessions sessions_;
    std::vector<util::Endpoint> dead_; // sessions to remove (reaped from a posted handler)
    bool reap_posted_ = false;
    bool stopping_ = false;
    std::array<uint8_t, tls::kHelloVerifyRequestMax> reply_{}; // HelloVerifyRequest scratch
    Counters counters_;
};

} // namespace rtc::net

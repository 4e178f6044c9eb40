#include "net/io_pool.hpp"
#include "net/stream_server.hpp"
#include "test_sockets.hpp"
#include "tls/context.hpp"
#include "tls/credentials.hpp"
#include "tls/engine.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <mutex>

using namespace rtc::net;
using rtc::net::test::FdSocket;
using rtc::util::Endpoint;

namespace {

const Endpoint kLoopback4 = *Endpoint::parse("127.0.0.1:0");

struct Events {
    std::atomic<int> opened{0};
    std::atomic<int> closed{0};
    std::mutex mutex;
    std::string alpn;
};

// Echoes complete lines; keeps partial lines for the next read.
class LineEcho : public StreamHandler {
public:
    LineEcho(StreamConnection& c, Events& e) : conn_(c), events_(e) {
        ++events_.opened;
        std::lock_guard lock(events_.mutex);
        events_.alpn = std::string(c.alpn());
    }
    std::size_t on_data(std::span<const uint8_t> data) override {
        const std::string_view s(reinterpret_cast<const char*>(data.data()), data.size());
        const auto nl = s.find('\n');
        if (nl == std::string_view::npos)
            return 0;
        if (s.substr(0, nl) == "quit") {
            conn_.close();
            return nl + 1;
        }
        conn_.write(data.first(nl + 1));
        return nl + 1; // one line per call: the server calls again for the next
    }
    void on_close() override { ++events_.closed; }

private:
    StreamConnection& conn_;
    Events& events_;
};

// Consumes nothing (for the buffer limit).
class Hoarder : public StreamHandler {
public:
    std::size_t on_data(std::span<const uint8_t>) override { return 0; }
};

// Sends `size` bytes as soon as anything arrives.
class Flood : public StreamHandler {
public:
    Flood(StreamConnection& c, std::size_t size) : conn_(c), size_(size) {}
    std::size_t on_data(std::span<const uint8_t> data) override {
        conn_.write(std::vector<uint8_t>(size_, 'f'));
        return data.size();
    }

private:
    StreamConnection& conn_;
    std::size_t size_;
};

struct Fixture {
    IoPool pool{1};
    Events events;
    asio::io_context& io() { return pool.context(0); }

    std::shared_ptr<StreamServer> start(StreamServerOptions options = {}) {
        auto s = StreamServer::start(
            io(), kLoopback4,
            [this](StreamConnection& c) { return std::make_unique<LineEcho>(c, events); },
            std::move(options));
        pool.start();
        return s;
    }
    // stop() with a bounded wait for its completion.
    bool stop(StreamServer& server, std::chrono::milliseconds grace) {
        std::promise<void> done;
        auto f = done.get_future();
        server.stop(grace, [&] { done.set_value(); });
        return f.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
    }
    ~Fixture() {
        pool.stop();
        pool.join();
    }
};

} // namespace

TEST_CASE("stream: plain TCP echo with partial lines across reads") {
    Fixture f;
    auto server = f.start();
    CHECK(server->local_endpoint().port != 0);
    FdSocket client(SOCK_STREAM, kLoopback4);
    REQUIRE(client.connect(server->local_endpoint()));
    REQUIRE(client.send_all("hel"));
    REQUIRE(client.send_all("lo\nsecond\nthi"));
    CHECK(client.recv_exact(13) == "hello\nsecond\n");
    REQUIRE(client.send_all("rd\n"));
    CHECK(client.recv_exact(6) == "third\n");
    REQUIRE(client.send_all("quit\n"));
    std::string rest;
    CHECK(client.recv_until_eof(rest));
    CHECK(rest.empty());
    CHECK(f.stop(*server, std::chrono::seconds(1)));
    CHECK(f.events.opened == 1);
    CHECK(f.events.closed == 1);
    CHECK(server->stats().accepted == 1);
}

TEST_CASE("stream: a peer that half-closes still gets its answer") {
    Fixture f;
    auto server = f.start();
    FdSocket client(SOCK_STREAM, kLoopback4);
    REQUIRE(client.connect(server->local_endpoint()));
    // Many lines, so the answer is still being written when the end of stream arrives.
    std::string lines;
    for (int i = 0; i < 20000; ++i)
        lines += "line " + std::to_string(i) + "\n";
    REQUIRE(client.send_all(lines));
    REQUIRE(::shutdown(client.fd(), SHUT_WR) == 0);
    std::string got;
    CHECK(client.recv_until_eof(got));
    CHECK(got == lines);
    CHECK(f.stop(*server, std::chrono::seconds(1)));
}

TEST_CASE("stream: connections over the limit are refused") {
    Fixture f;
    StreamServerOptions options;
    options.max_connections = 1;
    auto server = f.start(options);
    FdSocket first(SOCK_STREAM, kLoopback4);
    REQUIRE(first.connect(server->local_endpoint()));
    REQUIRE(first.send_all("a\n"));
    REQUIRE(first.recv_exact(2) == "a\n"); // the first connection is established
    FdSocket second(SOCK_STREAM, kLoopback4);
    REQUIRE(second.connect(server->local_endpoint())); // the kernel accepts, the server closes
    std::string got;
    CHECK(second.recv_until_eof(got));
    CHECK(got.empty());
    CHECK(server->stats().rejected == 1);
    CHECK(server->stats().active == 1);
    CHECK(f.stop(*server, std::chrono::seconds(1)));
}

TEST_CASE("stream: idle connections time out") {
    Fixture f;
    StreamServerOptions options;
    options.idle_timeout = std::chrono::milliseconds(200);
    auto server = f.start(options);
    FdSocket client(SOCK_STREAM, kLoopback4);
    REQUIRE(client.connect(server->local_endpoint()));
    std::string got;
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(client.recv_until_eof(got)); // closed by the server, well before the 5 s bound
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(4));
    CHECK(server->stats().timeouts == 1);
    CHECK(f.stop(*server, std::chrono::seconds(1)));
}

TEST_CASE("stream: unconsumed input beyond the limit closes the connection") {
    Fixture f;
    StreamServerOptions options;
    options.max_buffered_bytes = 1000;
    auto server = StreamServer::start(
        f.io(), kLoopback4, [](StreamConnection&) { return std::make_unique<Hoarder>(); }, options);
    f.pool.start();
    FdSocket client(SOCK_STREAM, kLoopback4);
    REQUIRE(client.connect(server->local_endpoint()));
    client.send_all(std::string(5000, 'x'));
    std::string got;
    CHECK(client.recv_until_eof(got));
    CHECK(server->stats().overflows == 1);
    CHECK(f.stop(*server, std::chrono::seconds(1)));
}

TEST_CASE("stream: stop closes connections gracefully, then forcibly after the grace period") {
    Fixture f;
    auto server = f.start();
    FdSocket a(SOCK_STREAM, kLoopback4), b(SOCK_STREAM, kLoopback4);
    REQUIRE(a.connect(server->local_endpoint()));
    REQUIRE(b.connect(server->local_endpoint()));
    REQUIRE(a.send_all("x\n"));
    REQUIRE(b.send_all("y\n"));
    REQUIRE(a.recv_exact(2) == "x\n");
    REQUIRE(b.recv_exact(2) == "y\n");
    CHECK(f.stop(*server, std::chrono::seconds(2)));
    std::string got;
    CHECK(a.recv_until_eof(got));
    CHECK(b.recv_until_eof(got));
    CHECK(f.events.closed == 2);
    // No longer accepting.
    FdSocket late(SOCK_STREAM, kLoopback4);
    CHECK_FALSE(late.connect(server->local_endpoint()));

    // A peer that never reads keeps output queued: stop() gives up after the grace period.
    Fixture g;
    StreamServerOptions options;
    options.max_buffered_bytes = 64 * 1024 * 1024;
    auto flood = StreamServer::start(
        g.io(), kLoopback4,
        [](StreamConnection& c) { return std::make_unique<Flood>(c, 32 * 1024 * 1024); }, options);
    g.pool.start();
    FdSocket stuck(SOCK_STREAM, kLoopback4);
    REQUIRE(stuck.connect(flood->local_endpoint()));
    REQUIRE(stuck.send_all("go"));
    REQUIRE(stuck.recv_exact(10).size() == 10); // the flood has started
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(g.stop(*flood, std::chrono::milliseconds(200)));
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
    CHECK(flood->stats().active == 0);
}

namespace {

// Drives a client-mode engine over a blocking socket (bounded rounds).
bool client_handshake(FdSocket& sock, rtc::tls::Engine& tls) {
    const auto now = std::chrono::steady_clock::now();
    tls.start(now);
    for (int round = 0; round < 20 && !tls.is_open(); ++round) {
        for (auto out = tls.pending_output(); !out.empty(); out = tls.pending_output()) {
            if (!sock.send_all({reinterpret_cast<const char*>(out.data()), out.size()}))
                return false;
            tls.consume_output();
        }
        if (tls.is_open() || tls.state() == rtc::tls::EngineState::Failed)
            break;
        const std::string in = sock.recv_some();
        if (in.empty())
            return false;
        tls.feed({reinterpret_cast<const uint8_t*>(in.data()), in.size()}, now);
    }
    for (auto out = tls.pending_output(); !out.empty(); out = tls.pending_output()) {
        sock.send_all({reinterpret_cast<const char*>(out.data()), out.size()});
        tls.consume_output();
    }
    return tls.is_open();
}

std::string tls_round_trip(FdSocket& sock, rtc::tls::Engine& tls, std::string_view line) {
    tls.write({reinterpret_cast<const uint8_t*>(line.data()), line.size()});
    for (auto out = tls.pending_output(); !out.empty(); out = tls.pending_output()) {
        sock.send_all({reinterpret_cast<const char*>(out.data()), out.size()});
        tls.consume_output();
    }
    std::string got;
    for (int round = 0; round < 20 && got.size() < line.size(); ++round) {
        const std::string in = sock.recv_some();
        if (in.empty())
            break;
        tls.feed({reinterpret_cast<const uint8_t*>(in.data()), in.size()},
                 std::chrono::steady_clock::now());
        const auto plain = tls.pending_plaintext();
        got.append(reinterpret_cast<const char*>(plain.data()), plain.size());
        tls.consume_plaintext(plain.size());
    }
    return got;
}

} // namespace

TEST_CASE("stream: TLS with ALPN, and a certificate reload between connections") {
    auto first = rtc::tls::Credentials::self_signed(std::chrono::system_clock::now());
    auto second = rtc::tls::Credentials::self_signed(std::chrono::system_clock::now());
    rtc::tls::ServerOptions so;
    so.alpn = {"stun.turn"};
    auto holder = std::make_shared<rtc::tls::ReloadableContext>(first, so);
    Fixture f;
    StreamServerOptions options;
    options.tls = holder;
    auto server = f.start(options);

    rtc::tls::ClientOptions co;
    co.alpn = {"stun.turn"};
    co.trusted_pem = first->chain_pem();
    FdSocket a(SOCK_STREAM, kLoopback4);
    REQUIRE(a.connect(server->local_endpoint()));
    rtc::tls::Engine ta(rtc::tls::Context::client(co));
    ta.set_server_name("localhost");
    REQUIRE(client_handshake(a, ta));
    CHECK(ta.alpn() == "stun.turn");
    CHECK(tls_round_trip(a, ta, "over tls\n") == "over tls\n");
    {
        std::lock_guard lock(f.events.mutex);
        CHECK(f.events.alpn == "stun.turn");
    }

    holder->reload(second);
    // A client trusting only the first certificate now fails; one trusting the second works.
    FdSocket b(SOCK_STREAM, kLoopback4);
    REQUIRE(b.connect(server->local_endpoint()));
    rtc::tls::Engine tb(rtc::tls::Context::client(co));
    CHECK_FALSE(client_handshake(b, tb));
    co.trusted_pem = second->chain_pem();
    FdSocket c(SOCK_STREAM, kLoopback4);
    REQUIRE(c.connect(server->local_endpoint()));
    rtc::tls::Engine tc(rtc::tls::Context::client(co));
    REQUIRE(client_handshake(c, tc));
    CHECK(tls_round_trip(c, tc, "after reload\n") == "after reload\n");
    // The connection made before the reload is untouched.
    CHECK(tls_round_trip(a, ta, "still\n") == "still\n");
    CHECK(f.stop(*server, std::chrono::seconds(1)));
}

TEST_CASE("stream: TLS handshake timeout and garbage") {
    auto creds = rtc::tls::Credentials::self_signed(std::chrono::system_clock::now());
    Fixture f;
    StreamServerOptions options;
    options.tls = std::make_shared<rtc::tls::ReloadableContext>(creds, rtc::tls::ServerOptions{});
    options.handshake_timeout = std::chrono::milliseconds(200);
    auto server = f.start(options);
    FdSocket silent(SOCK_STREAM, kLoopback4);
    REQUIRE(silent.connect(server->local_endpoint()));
    std::string got;
    CHECK(silent.recv_until_eof(got));
    CHECK(server->stats().timeouts == 1);

    FdSocket noisy(SOCK_STREAM, kLoopback4);
    REQUIRE(noisy.connect(server->local_endpoint()));
    REQUIRE(noisy.send_all("GET / HTTP/1.1\r\n\r\n")); // not TLS
    got.clear();
    CHECK(noisy.recv_until_eof(got));
    CHECK(server->stats().handshake_failures == 1);
    CHECK(f.events.opened == 0);
    CHECK(f.stop(*server, std::chrono::seconds(1)));
}

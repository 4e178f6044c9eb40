// DtlsServer over 127.0.0.1 against an in-process mbedTLS DTLS client.
#include "net/dtls_server.hpp"
#include "net/io_pool.hpp"
#include "test_sockets.hpp"
#include "tls/context.hpp"
#include "tls/credentials.hpp"
#include "tls/dtls_cookie.hpp"
#include "tls/dtls_hello.hpp"
#include "tls/engine.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace rtc::net;
using rtc::net::test::FdSocket;
using rtc::util::Endpoint;
using Clock = std::chrono::steady_clock;

namespace {

const Endpoint kLoopback4 = *Endpoint::parse("127.0.0.1:0");

std::shared_ptr<const rtc::tls::Credentials> creds() {
    static auto c = rtc::tls::Credentials::self_signed(std::chrono::system_clock::now());
    return c;
}

std::shared_ptr<const rtc::tls::Context> client_context() {
    static auto ctx = [] {
        rtc::tls::ClientOptions co;
        co.transport = rtc::tls::Transport::Datagram;
        co.trusted_pem = creds()->chain_pem();
        co.dtls_retransmit_min = std::chrono::milliseconds(200);
        return rtc::tls::Context::client(co);
    }();
    return ctx;
}

std::string text(std::span<const uint8_t> b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::span<const uint8_t> bytes(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

bool is_hello_verify(const std::string& d) {
    return d.size() > 13 && uint8_t(d[0]) == 22 && uint8_t(d[13]) == 3;
}

struct Events {
    std::atomic<int> opened{0};
    std::atomic<int> records{0};
    std::atomic<int> closed{0};
};

// Answers every record with "echo:" + the record, one record back per record in.
class RecordEcho : public StreamHandler {
public:
    RecordEcho(StreamConnection& c, Events& e) : conn_(c), events_(e) { ++events_.opened; }
    std::size_t on_data(std::span<const uint8_t> data) override {
        ++events_.records;
        if (text(data) == "quit") {
            conn_.close();
            return data.size();
        }
        conn_.write(bytes("echo:" + text(data)));
        return data.size();
    }
    void on_close() override { ++events_.closed; }

private:
    StreamConnection& conn_;
    Events& events_;
};

// A DTLS client on a connected UDP socket; every wait bounded by the socket timeout.
class Client {
public:
    explicit Client(const Endpoint& server, int timeout_ms = 3000)
        : sock_(SOCK_DGRAM, server, timeout_ms), engine_(client_context()) {
        connected_ = sock_.connect(server);
    }
    bool handshake() {
        if (!connected_)
            return false;
        engine_.start(Clock::now());
        for (int round = 0; round < 40 && !engine_.is_open(); ++round) {
            flush();
            const std::string d = sock_.recv_some();
            if (d.empty())
                engine_.on_timer(Clock::now()); // lost: retransmit (RFC 6347 §4.2.4)
            else
                engine_.feed(bytes(d), Clock::now());
            if (engine_.state() == rtc::tls::EngineState::Failed)
                return false;
        }
        flush();
        return engine_.is_open();
    }
    bool send(std::string_view s) {
        const bool ok = engine_.write(bytes(s));
        flush();
        return ok;
    }
    // The next record, or empty on close, failure or timeout.
    std::string recv() {
        for (int round = 0; round < 20; ++round) {
            auto p = engine_.pending_plaintext();
            if (!p.empty()) {
                std::string s = text(p);
                engine_.consume_plaintext(p.size());
                return s;
            }
            if (!engine_.is_open())
                return {};
            const std::string d = sock_.recv_some();
            if (d.empty())
                return {};
            engine_.feed(bytes(d), Clock::now());
            flush();
        }
        return {};
    }
    void flush() {
        for (int i = 0; i < 64; ++i) {
            auto out = engine_.pending_output();
            if (out.empty())
                return;
            sock_.send_all(text(out));
            engine_.consume_output();
        }
    }
    rtc::tls::Engine& engine() { return engine_; }
    FdSocket& socket() { return sock_; }

private:
    FdSocket sock_;
    rtc::tls::Engine engine_;
    bool connected_ = false;
};

struct Fixture {
    IoPool pool{1};
    Events events;
    std::shared_ptr<rtc::tls::ReloadableContext> tls;
    bool refuse = false;

    explicit Fixture(std::chrono::milliseconds retransmit_min = std::chrono::milliseconds(1000)) {
        rtc::tls::ServerOptions so;
        so.transport = rtc::tls::Transport::Datagram;
        so.dtls_retransmit_min = retransmit_min;
        tls = std::make_shared<rtc::tls::ReloadableContext>(creds(), so);
    }
    std::shared_ptr<DtlsServer> start(DtlsServerOptions options = {}) {
        options.tls = tls;
        auto s = DtlsServer::start(
            pool.context(0), kLoopback4,
            [this](StreamConnection& c) -> std::unique_ptr<StreamHandler> {
                if (refuse)
                    return nullptr;
                return std::make_unique<RecordEcho>(c, events);
            },
            std::move(options));
        pool.start();
        return s;
    }
    bool stop(DtlsServer& server) {
        std::promise<void> done;
        auto f = done.get_future();
        server.stop([&] { done.set_value(); });
        return f.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
    }
    ~Fixture() {
        pool.stop();
        pool.join();
    }
};

// Bounded wait for a condition the test cannot observe on the wire (polls, never assumes).
template <class Pred> bool eventually(Pred pred) {
    const auto limit = Clock::now() + std::chrono::seconds(5);
    while (Clock::now() < limit) {
        if (pred())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return pred();
}

// A first ClientHello (no cookie) as mbedTLS writes it.
std::string first_client_hello() {
    rtc::tls::Engine e(client_context());
    e.start(Clock::now());
    return text(e.pending_output());
}

} // namespace

TEST_CASE("dtls server: handshake over 127.0.0.1, records both ways keep their boundaries") {
    Fixture f;
    auto server = f.start();
    Client client(server->local_endpoint());
    REQUIRE(client.handshake());
    REQUIRE(client.send("one"));
    REQUIRE(client.send("two"));
    CHECK(client.recv() == "echo:one");
    CHECK(client.recv() == "echo:two");
    CHECK(f.events.records == 2);
    REQUIRE(client.send("quit"));
    CHECK(client.recv().empty());
    CHECK(client.engine().state() == rtc::tls::EngineState::Closed); // close_notify came back
    CHECK(eventually([&] { return f.events.closed == 1; }));
    const auto st = server->stats();
    CHECK(st.hello_verify_sent == 1); // the cookie exchange came first
    CHECK(st.accepted == 1);
    CHECK(st.established == 1);
    CHECK(f.stop(*server));
}

TEST_CASE("dtls server: ClientHellos without a valid cookie create no session") {
    Fixture f;
    DtlsServerOptions opts;
    auto server = f.start(opts);
    const std::string hello = first_client_hello();
    REQUIRE(!hello.empty());

    constexpr int kSources = 50;
    std::vector<std::unique_ptr<FdSocket>> socks;
    for (int i = 0; i < kSources; ++i) {
        socks.push_back(std::make_unique<FdSocket>(SOCK_DGRAM, kLoopback4));
        REQUIRE(socks.back()->connect(server->local_endpoint()));
        REQUIRE(socks.back()->send_all("\x17\xfe\xfd garbage"));
        REQUIRE(socks.back()->send_all(hello));
    }
    for (auto& s : socks) // each HelloVerifyRequest also shows the garbage before it was seen
        CHECK(is_hello_verify(s->recv_some()));
    auto st = server->stats();
    CHECK(st.hello_verify_sent == kSources);
    CHECK(st.dropped == kSources);
    CHECK(st.accepted == 0);
    CHECK(st.active == 0);

    // A cookie earned at one address is worthless from another (RFC 6347 §4.2.1).
    Client honest(server->local_endpoint());
    honest.engine().start(Clock::now());
    honest.flush();
    const std::string hvr = honest.socket().recv_some();
    REQUIRE(is_hello_verify(hvr));
    honest.engine().feed(bytes(hvr), Clock::now());
    const std::string hello2 = text(honest.engine().pending_output());
    REQUIRE(rtc::tls::parse_client_hello(bytes(hello2))->cookie.size() ==
            rtc::tls::CookieJar::kCookieSize);
    REQUIRE(socks[0]->send_all(hello2));
    CHECK(is_hello_verify(socks[0]->recv_some())); // answered as a bad cookie
    // A forged cookie from the right address fares no better.
    std::string forged = hello2;
    forged[forged.size() / 2 + 20] ^= 0x5A; // inside the cookie or later fields: both refused
    const auto view = rtc::tls::parse_client_hello(bytes(hello2));
    const auto cookie_at = static_cast<std::size_t>(
        view->cookie.data() - reinterpret_cast<const uint8_t*>(hello2.data()));
    forged = hello2;
    forged[cookie_at + 4] ^= 0x5A;
    REQUIRE(honest.socket().send_all(forged));
    CHECK(is_hello_verify(honest.socket().recv_some()));
    st = server->stats();
    CHECK(st.bad_cookies == 2);
    CHECK(st.accepted == 0);
    CHECK(st.active == 0);

    // The genuine second ClientHello goes through.
    REQUIRE(honest.socket().send_all(hello2));
    honest.engine().consume_output();
    const std::string flight = honest.socket().recv_some();
    CHECK(!flight.empty());
    CHECK_FALSE(is_hello_verify(flight));
    CHECK(server->stats().accepted == 1);
    CHECK(f.stop(*server));
}

TEST_CASE("dtls server: many clients at once, each with its own session") {
    Fixture f;
    auto server = f.start();
    constexpr int kClients = 16;
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < kClients; ++i) {
        clients.push_back(std::make_unique<Client>(server->local_endpoint()));
        REQUIRE(clients.back()->handshake());
    }
    for (int i = 0; i < kClients; ++i)
        REQUIRE(clients[i]->send("client " + std::to_string(i)));
    for (int i = 0; i < kClients; ++i)
        CHECK(clients[i]->recv() == "echo:client " + std::to_string(i));
    const auto st = server->stats();
    CHECK(st.accepted == kClients);
    CHECK(st.established == kClients);
    CHECK(st.active == kClients);
    CHECK(f.events.opened == kClients);
    CHECK(f.stop(*server));
    CHECK(f.events.closed == kClients);
}

TEST_CASE("dtls server: max_sessions refuses the next client, a refusing factory closes") {
    Fixture f;
    DtlsServerOptions opts;
    opts.max_sessions = 2;
    auto server = f.start(opts);
    Client a(server->local_endpoint()), b(server->local_endpoint());
    REQUIRE(a.handshake());
    REQUIRE(b.handshake());

    Client c(server->local_endpoint(), 500);
    c.engine().start(Clock::now());
    c.flush();
    const std::string hvr = c.socket().recv_some();
    REQUIRE(is_hello_verify(hvr));
    c.engine().feed(bytes(hvr), Clock::now());
    c.flush(); // valid cookie, but no room
    REQUIRE(c.socket().send_all(first_client_hello()));
    CHECK(is_hello_verify(c.socket().recv_some())); // so the one before was processed
    CHECK(server->stats().rejected == 1);
    CHECK(server->stats().active == 2);

    CHECK(f.stop(*server));
    CHECK(f.events.closed == 2);
    CHECK(a.recv().empty());
    CHECK(a.engine().state() == rtc::tls::EngineState::Closed); // close_notify on stop

    Fixture g;
    g.refuse = true;
    auto refusing = g.start();
    Client d(refusing->local_endpoint());
    d.handshake();
    CHECK(d.recv().empty());
    CHECK(d.engine().state() == rtc::tls::EngineState::Closed);
    CHECK(refusing->stats().rejected == 1);
    CHECK(eventually([&] { return refusing->stats().active == 0; }));
    CHECK(g.stop(*refusing));
}

TEST_CASE("dtls server: retransmits a lost flight, times out idle and silent clients") {
    Fixture f(std::chrono::milliseconds(100));
    DtlsServerOptions opts;
    opts.idle_timeout = std::chrono::milliseconds(300);
    opts.handshake_timeout = std::chrono::milliseconds(1500);
    auto server = f.start(opts);

    // Cookie exchange, then drop the server's first flight: it must come again.
    Client lossy(server->local_endpoint());
    lossy.engine().start(Clock::now());
    lossy.flush();
    const std::string hvr = lossy.socket().recv_some();
    REQUIRE(is_hello_verify(hvr));
    lossy.engine().feed(bytes(hvr), Clock::now());
    lossy.flush();
    const std::string first = lossy.socket().recv_some();
    REQUIRE(!first.empty());
    // Skip the rest of the flight; a resent datagram has a new record sequence number
    // (RFC 6347 §4.2.4) but the same handshake message (header: type, length, message_seq).
    const auto same_message = [&](const std::string& d) {
        return d.size() == first.size() && d.size() > 25 &&
               d.substr(13, 12) == first.substr(13, 12);
    };
    std::string again;
    for (int i = 0; i < 20; ++i) {
        again = lossy.socket().recv_some();
        if (again.empty() || same_message(again))
            break;
    }
    CHECK(same_message(again));
    CHECK(again.substr(5, 6) != first.substr(5, 6));

    // That client never answers: the handshake timeout removes its session.
    CHECK(eventually([&] { return server->stats().timeouts == 1; }));
    CHECK(eventually([&] { return server->stats().active == 0; }));

    // An established client that goes quiet gets close_notify after the idle timeout.
    Client idle(server->local_endpoint());
    REQUIRE(idle.handshake());
    CHECK(idle.recv().empty()); // waits (bounded by the socket timeout) for close_notify
    CHECK(idle.engine().state() == rtc::tls::EngineState::Closed);
    CHECK(server->stats().timeouts == 2);
    CHECK(eventually([&] { return f.events.closed == 1; }));
    CHECK(f.stop(*server));
}

TEST_CASE("dtls server: needs a datagram context, a taken port is a system_error") {
    IoPool pool(1);
    DtlsServerOptions none;
    CHECK_THROWS_AS(DtlsServer::start(pool.context(0), kLoopback4, nullptr, none),
                    std::invalid_argument);
    DtlsServerOptions stream;
    stream.tls = std::make_shared<rtc::tls::ReloadableContext>(creds(), rtc::tls::ServerOptions{});
    CHECK_THROWS_AS(DtlsServer::start(pool.context(0), kLoopback4, nullptr, stream),
                    std::invalid_argument);

    rtc::tls::ServerOptions so;
    so.transport = rtc::tls::Transport::Datagram;
    DtlsServerOptions opts;
    opts.tls = std::make_shared<rtc::tls::ReloadableContext>(creds(), so);
    opts.udp.reuse_port = false;
    auto first = DtlsServer::start(pool.context(0), kLoopback4, nullptr, opts);
    CHECK_THROWS_AS(DtlsServer::start(pool.context(0), first->local_endpoint(), nullptr, opts),
                    std::system_error);
}

TEST_CASE("dtls server: one server per thread on one port share the cookie secrets") {
    IoPool pool(2);
    Events events;
    rtc::tls::ServerOptions so;
    so.transport = rtc::tls::Transport::Datagram;
    DtlsServerOptions opts;
    opts.tls = std::make_shared<rtc::tls::ReloadableContext>(creds(), so);
    auto factory = [&](StreamConnection& c) -> std::unique_ptr<StreamHandler> {
        return std::make_unique<RecordEcho>(c, events);
    };
    auto first = DtlsServer::start(pool.context(0), kLoopback4, factory, opts);
    auto second = DtlsServer::start(pool.context(1), first->local_endpoint(), factory, opts);
    pool.start();
    constexpr int kClients = 12;
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < kClients; ++i) {
        clients.push_back(std::make_unique<Client>(first->local_endpoint()));
        REQUIRE(clients.back()->handshake());
        REQUIRE(clients.back()->send("n" + std::to_string(i)));
        CHECK(clients.back()->recv() == "echo:n" + std::to_string(i));
    }
    CHECK(first->stats().established + second->stats().established == kClients);
    CHECK(first->stats().bad_cookies + second->stats().bad_cookies == 0);
    for (auto* server : {first.get(), second.get()}) {
        std::promise<void> done;
        auto f = done.get_future();
        server->stop([&] { done.set_value(); });
        CHECK(f.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    }
    CHECK(events.closed == kClients);
    pool.stop();
    pool.join();
}

// WsClient against a WebSocket server written with the ws codec (ws_test_server.hpp), over
// plain TCP and TLS: messages, fragments, pings, close codes, refusals, timeouts, limits, trust.
#include "net/ws_client.hpp"
#include "ws_test_server.hpp"

#include "tls/context.hpp"
#include "tls/credentials.hpp"

#include <asio/steady_timer.hpp>
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

using namespace std::chrono_literals;
using rtc::net::WsClient;
using rtc::net::WsClientOptions;
using rtc::ws::test::ServerLog;

namespace {

struct Result {
    bool opened = false;
    bool closed = false;
    uint16_t code = 0;
    std::string reason;
    std::string error;
    std::vector<std::string> messages; // "t:..." / "b:..."
};

// One server, one client, one io_context; run() drives both until the client's on_close (or a
// bound of 10 s).
struct Harness {
    ServerLog log; // outlives io (the server's handlers refer to it)
    asio::io_context io;
    std::shared_ptr<rtc::net::StreamServer> server;
    std::shared_ptr<const rtc::tls::Credentials> creds;
    std::shared_ptr<WsClient> client;
    Result r;
    std::function<void()> on_open;
    std::function<void(const std::string&)> on_message;

    explicit Harness(std::shared_ptr<const rtc::tls::Credentials> tls_creds = nullptr,
                     const std::string& listen = "127.0.0.1:0")
        : creds(std::move(tls_creds)) {
        rtc::net::StreamServerOptions so;
        if (creds)
            so.tls =
                std::make_shared<rtc::tls::ReloadableContext>(creds, rtc::tls::ServerOptions{});
        server = rtc::net::StreamServer::start(io, *rtc::util::Endpoint::parse(listen),
                                               rtc::ws::test::test_ws_factory(log), so);
    }
    ~Harness() { server->stop(0ms); }

    uint16_t port() const { return server->local_endpoint().port; }
    std::string url(const std::string& path, const std::string& host = "127.0.0.1") const {
        return std::string(creds ? "wss://" : "ws://") + host + ":" + std::to_string(port()) + path;
    }

    void run(WsClientOptions options) {
        client = WsClient::connect(
            io, std::move(options),
            {.on_open =
                 [this] {
                     r.opened = true;
                     if (on_open)
                         on_open();
                 },
             .on_message =
                 [this](std::string_view data, bool binary) {
                     r.messages.push_back((binary ? "b:" : "t:") + std::string(data));
                     if (on_message)
                         on_message(r.messages.back());
                 },
             .on_close =
                 [this](uint16_t code, std::string_view reason, std::string_view error) {
                     CHECK_FALSE(r.closed); // exactly once
                     r.closed = true;
                     r.code = code;
                     r.reason = reason;
                     r.error = error;
                 }});
        // Until the client reported and the server saw the connection end (bounded).
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (!(r.closed && server->stats().active == 0) &&
               std::chrono::steady_clock::now() < deadline)
            io.run_for(10ms);
        REQUIRE(r.closed);
        CHECK(server->stats().active == 0);
    }
};

WsClientOptions options_for(const std::string& url) {
    WsClientOptions o;
    o.url = url;
    return o;
}

std::shared_ptr<const rtc::tls::Credentials> make_creds(std::vector<std::string> dns,
                                                        std::vector<std::string> ips) {
    rtc::tls::SelfSignedOptions o;
    o.common_name = dns.empty() ? "test" : dns.front();
    o.dns_names = std::move(dns);
    o.ip_addresses.clear();
    for (const auto& ip : ips)
        o.ip_addresses.push_back(*rtc::util::IpAddress::parse(ip));
    return rtc::tls::Credentials::self_signed(std::chrono::system_clock::now(), o);
}

} // namespace

TEST_CASE("ws client: echoes text and binary, then closes cleanly") {
    Harness h;
    h.on_open = [&] {
        CHECK(h.client->is_open());
        CHECK(h.client->http_status() == 101);
        CHECK(h.client->send_text("hello"));
        CHECK(h.client->send_binary(std::string("\x00\x01\xff", 3)));
        CHECK(h.client->send_text(std::string(70000, 'x'))); // 64-bit length form
    };
    h.on_message = [&](const std::string&) {
        if (h.r.messages.size() == 3)
            h.client->close(1000, "done");
    };
    h.run(options_for(h.url("/echo")));
    CHECK(h.r.opened);
    REQUIRE(h.r.messages.size() == 3);
    CHECK(h.r.messages[0] == "t:hello");
    CHECK(h.r.messages[1] == "b:" + std::string("\x00\x01\xff", 3));
    CHECK(h.r.messages[2] == "t:" + std::string(70000, 'x'));
    CHECK(h.r.code == 1000);
    CHECK(h.r.error.empty());
    CHECK(h.log.has("close:1000:done"));
    CHECK(h.client->remote().port == h.port());
    CHECK_FALSE(h.client->send_text("after close"));
}

TEST_CASE("ws client: a Close from the server is answered and reported") {
    Harness h;
    h.on_open = [&] { h.client->send_text("cmd:close 4001 bye now"); };
    h.run(options_for(h.url("/")));
    CHECK(h.r.code == 4001);
    CHECK(h.r.reason == "bye now");
    CHECK(h.r.error.empty());
    CHECK(h.log.has("close:4001:")); // the client echoed the code (RFC 6455 §5.5.1)
}

TEST_CASE("ws client: fragments with a Ping between them, and the server's pings answered") {
    Harness h;
    h.on_open = [&] {
        h.client->send_text("cmd:fragments");
        h.client->send_text("cmd:ping abc");
    };
    h.on_message = [&](const std::string& m) {
        if (m == "t:pong:abc")
            h.client->close();
    };
    h.run(options_for(h.url("/echo")));
    // The server reports each Pong it gets: the one for its Ping between the fragments first.
    CHECK(h.r.messages == std::vector<std::string>{"t:fragmented", "t:pong:p", "t:pong:abc"});
    CHECK(h.log.has("pong:p"));   // the Ping between the fragments
    CHECK(h.log.has("pong:abc")); // the Ping on its own
    CHECK(h.r.code == 1000);
}

TEST_CASE("ws client: a refused upgrade reports the HTTP status") {
    Harness h;
    h.run(options_for(h.url("/deny")));
    CHECK_FALSE(h.r.opened);
    CHECK(h.r.code == 1006);
    CHECK(h.r.error == "server answered 401 Unauthorized");
    CHECK(h.client->http_status() == 401);
}

TEST_CASE("ws client: connection refused, bad URL and a silent server fail with a reason") {
    asio::io_context io;
    uint16_t closed_port = 0;
    {
        asio::ip::tcp::acceptor a(io,
                                  asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        closed_port = a.local_endpoint().port();
    }
    std::string error;
    uint16_t code = 0;
    auto record = WsClient::Callbacks{.on_open = [] { FAIL_CHECK("opened"); },
                                      .on_message = [](std::string_view, bool) {},
                                      .on_close =
                                          [&](uint16_t c, std::string_view, std::string_view e) {
                                              code = c;
                                              error = e;
                                          }};
    auto c1 =
        WsClient::connect(io, options_for("ws://127.0.0.1:" + std::to_string(closed_port)), record);
    io.run_for(10s);
    CHECK(code == 1006);
    CHECK(error ==
          "cannot connect to 127.0.0.1:" + std::to_string(closed_port) + ": connection refused");

    io.restart();
    error.clear();
    auto c2 = WsClient::connect(io, options_for("http://example.org/"), record);
    CHECK(error.empty()); // reported from the event loop, not from connect()
    io.run_for(10s);
    CHECK(error.rfind("bad URL 'http://example.org/'", 0) == 0);

    Harness h;
    auto o = options_for(h.url("/hang"));
    o.connect_timeout = 200ms;
    const auto start = std::chrono::steady_clock::now();
    h.run(o);
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    CHECK(h.r.error == "timed out waiting for the WebSocket handshake after 200 ms");
}

TEST_CASE("ws client: resolves localhost and connects to [::1]") {
    Harness h;
    h.on_open = [&] { h.client->send_text("via name"); };
    h.on_message = [&](const std::string&) { h.client->close(); };
    h.run(options_for(h.url("/echo", "localhost")));
    CHECK(h.r.messages == std::vector<std::string>{"t:via name"});
    CHECK(h.r.error.empty());
    CHECK(h.log.has("upgrade /echo"));

    Harness v6(nullptr, "[::1]:0");
    v6.on_open = [&] { v6.client->send_text("v6"); };
    v6.on_message = [&](const std::string&) { v6.client->close(); };
    v6.run(options_for(v6.url("/echo", "[::1]")));
    CHECK(v6.r.messages == std::vector<std::string>{"t:v6"});
    CHECK(v6.client->remote().address.is_v6());
}

TEST_CASE("ws client: protocol violations close with the fitting code") {
    Harness big;
    auto o = options_for(big.url("/"));
    o.max_message = 1000;
    big.on_open = [&] { big.client->send_text("cmd:big 5000"); };
    big.run(o);
    CHECK(big.r.code == 1009);
    CHECK(big.r.error == "bad frame from the server: message too big");
    CHECK(big.log.has("close:1009:message too big"));

    Harness masked;
    masked.on_open = [&] { masked.client->send_text("cmd:masked"); };
    masked.run(options_for(masked.url("/")));
    CHECK(masked.r.code == 1002);
    CHECK(masked.r.error == "bad frame from the server: masked frame");
    CHECK(masked.log.has("close:1002:masked frame"));
}

TEST_CASE("ws client: a dropped connection and an unanswered Close are 1006") {
    Harness drop;
    drop.on_open = [&] { drop.client->send_text("cmd:drop"); };
    drop.run(options_for(drop.url("/")));
    CHECK(drop.r.code == 1006);
    CHECK(drop.r.error == "server closed the connection without a Close frame");

    Harness silent;
    auto o = options_for(silent.url("/"));
    o.close_timeout = 200ms;
    silent.on_open = [&] {
        silent.client->send_text("cmd:silent");
        silent.client->close(1001, "leaving");
    };
    silent.run(o);
    CHECK(silent.r.code == 1006);
    CHECK(silent.r.error == "no Close answer from the server within 200 ms");
}

TEST_CASE("ws client: pings keep a live connection and detect a dead one") {
    Harness live;
    auto o = options_for(live.url("/"));
    o.ping_interval = 100ms;
    live.on_open = [&] { live.client->send_text("cmd:pings 3"); };
    live.on_message = [&](const std::string& m) {
        if (m == "t:pings:3")
            live.client->close();
    };
    live.run(o);
    CHECK(live.log.pings >= 3);
    CHECK(live.r.error.empty());
    CHECK(live.r.code == 1000);

    Harness dead;
    auto d = options_for(dead.url("/mute"));
    d.ping_interval = 30ms;
    dead.run(d);
    CHECK(dead.r.opened);
    CHECK(dead.r.code == 1006);
    CHECK(dead.r.error == "no data from the server for 60 ms (ping timeout)");
}

TEST_CASE("ws client: output is bounded by max_output") {
    Harness h;
    auto o = options_for(h.url("/mute"));
    o.max_output = 64 * 1024;
    o.close_timeout = 100ms;
    int accepted = 0;
    h.on_open = [&] {
        const std::string chunk(16 * 1024, 'o');
        for (int i = 0; i < 100 && h.client->send_binary(chunk); ++i)
            ++accepted;
        CHECK(h.client->buffered_output() <= 64 * 1024);
        CHECK(h.client->is_open()); // refusing a message does not end the connection
        h.client->close();
    };
    h.run(o);
    CHECK(accepted >= 3);
    CHECK(accepted <= 4);
}

TEST_CASE("ws client: Origin, extra headers and subprotocols reach the server") {
    Harness h;
    auto o = options_for(h.url("/hello?id=alice"));
    o.origin = "https://app.example.org";
    o.headers = {{"X-Test", "42"}};
    o.protocols = {"v2", "chat"};
    h.on_message = [&](const std::string&) { h.client->close(); };
    h.run(o);
    CHECK(h.r.messages ==
          std::vector<std::string>{"t:origin=https://app.example.org;x-test=42;protocols=v2,chat"});
    CHECK(h.client->protocol() == "chat");
    CHECK(h.log.has("upgrade /hello"));
}

TEST_CASE("ws client: close() before the connection opens abandons it") {
    Harness h;
    h.client = WsClient::connect(h.io, options_for(h.url("/echo")),
                                 {.on_open = [&] { h.r.opened = true; },
                                  .on_message = [](std::string_view, bool) {},
                                  .on_close =
                                      [&](uint16_t code, std::string_view, std::string_view e) {
                                          h.r.closed = true;
                                          h.r.code = code;
                                          h.r.error = e;
                                          h.io.stop();
                                      }});
    h.client->close();
    h.io.run_for(10s);
    CHECK(h.r.closed);
    CHECK_FALSE(h.r.opened);
    CHECK(h.r.error == "closed before the connection opened");
}

TEST_CASE("ws client: wss with a trusted certificate, by name (SNI) and by address") {
    const auto creds = make_creds({"localhost"}, {"127.0.0.1", "::1"});
    for (const std::string host : {"localhost", "127.0.0.1"}) {
        Harness h(creds);
        auto o = options_for(h.url("/echo", host));
        o.trusted_pem = creds->chain_pem();
        h.on_open = [&] { h.client->send_text("secure " + host); };
        h.on_message = [&](const std::string&) { h.client->close(); };
        h.run(o);
        CHECK(h.r.error.empty());
        CHECK(h.r.messages == std::vector<std::string>{"t:secure " + host});
    }
}

TEST_CASE("ws client: wss trust from a file, a shared context, or insecure") {
    const auto creds = make_creds({"localhost"}, {"127.0.0.1"});
    char path[] = "/tmp/ws_client_test_XXXXXX";
    const int fd = ::mkstemp(path);
    REQUIRE(fd >= 0);
    ::close(fd);
    std::ofstream(path) << creds->chain_pem();

    Harness file(creds);
    auto o = options_for(file.url("/echo", "localhost"));
    o.trusted_pem_file = path;
    file.on_open = [&] { file.client->close(); };
    file.run(o);
    CHECK(file.r.opened);
    CHECK(file.r.error.empty());
    ::unlink(path);

    std::ofstream(path, std::ios::trunc).flush(); // empty
    Harness empty(creds);
    o.url = empty.url("/echo");
    empty.run(o);
    CHECK(empty.r.error == std::string("TLS: no certificates in ") + path);
    ::unlink(path);

    o.trusted_pem_file = path; // now missing
    Harness missing(creds);
    o.url = missing.url("/echo");
    missing.run(o);
    CHECK(missing.r.error == std::string("TLS: cannot read trusted certificates from ") + path);

    Harness shared(creds);
    rtc::tls::ClientOptions co;
    co.trusted_pem = creds->chain_pem();
    auto so = options_for(shared.url("/echo"));
    so.tls_context = rtc::tls::Context::client(co);
    shared.on_open = [&] { shared.client->close(); };
    shared.run(so);
    CHECK(shared.r.opened);
    CHECK(shared.r.error.empty());

    const auto other = make_creds({"example.org"}, {});
    Harness insecure(other);
    auto io = options_for(insecure.url("/echo"));
    io.insecure = true;
    insecure.on_open = [&] { insecure.client->close(); };
    insecure.run(io);
    CHECK(insecure.r.opened);
    CHECK(insecure.r.error.empty());
}

TEST_CASE("ws client: wss refuses untrusted and mismatched certificates") {
    const auto creds = make_creds({"localhost"}, {"127.0.0.1"});
    const auto stranger = make_creds({"localhost"}, {"127.0.0.1"});

    Harness untrusted(creds);
    auto o = options_for(untrusted.url("/echo", "localhost"));
    o.trusted_pem = stranger->chain_pem();
    untrusted.run(o);
    CHECK_FALSE(untrusted.r.opened);
    CHECK(untrusted.r.error.rfind("TLS: certificate verification failed: ", 0) == 0);

    // Trusted, but issued for other names or addresses.
    const auto elsewhere = make_creds({"example.org"}, {"192.0.2.1"});
    for (const std::string host : {"localhost", "127.0.0.1"}) {
        Harness h(elsewhere);
        auto m = options_for(h.url("/echo", host));
        m.trusted_pem = elsewhere->chain_pem();
        h.run(m);
        CHECK_FALSE(h.r.opened);
        CHECK(h.r.error.rfind("TLS: certificate verification failed", 0) == 0);
    }

    // A plain-text server behind a wss URL.
    Harness plain;
    auto p = options_for("wss://127.0.0.1:" + std::to_string(plain.port()) + "/echo");
    p.insecure = true;
    p.connect_timeout = 500ms;
    plain.run(p);
    CHECK_FALSE(plain.r.opened);
    CHECK(plain.r.error.rfind("TLS: ", 0) == 0);
}

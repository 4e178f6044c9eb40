// HttpServer, HTTP side: answers, keep-alive and pipelining, HEAD, errors, timeouts and the
// upgrade checks, over real sockets on 127.0.0.1.
#include "http_test_util.hpp"

#include <doctest/doctest.h>

using namespace rtc::net::test;
using rtc::net::HttpServerOptions;

namespace {

bool starts_with(const std::string& s, std::string_view prefix) {
    return s.rfind(prefix, 0) == 0;
}

bool has(const std::string& s, std::string_view part) {
    return s.find(part) != std::string::npos;
}

std::size_t count(const std::string& s, std::string_view part) {
    std::size_t n = 0;
    for (auto at = s.find(part); at != std::string::npos; at = s.find(part, at + 1))
        ++n;
    return n;
}

} // namespace

TEST_CASE("http server: answers with Date, closes on Connection: close and HTTP/1.0") {
    ServerFixture f;
    const auto hello =
        http_fetch(f.at, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(starts_with(hello, "HTTP/1.1 200 OK\r\n"));
    CHECK(has(hello, "\r\nDate: "));
    CHECK(has(hello, "\r\nConnection: close\r\n"));
    CHECK(has(hello, "\r\nContent-Length: 5\r\n"));
    CHECK(hello.substr(hello.size() - 9) == "\r\n\r\nhello");

    const auto info = http_fetch(f.at, "POST /info?q=1 HTTP/1.0\r\nContent-Length: 4\r\n\r\nbody");
    CHECK(starts_with(info, "HTTP/1.1 200 OK\r\n"));
    CHECK(has(info, "\r\nX-Test: yes\r\n"));
    CHECK(info.substr(info.size() - 25) == "POST /info?q=1 body tls=0");

    CHECK(starts_with(http_fetch(f.at, "GET /nope HTTP/1.0\r\n\r\n"), "HTTP/1.1 404 "));
    const auto failed = http_fetch(f.at, "GET /throw HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(starts_with(failed, "HTTP/1.1 500 "));
    CHECK(has(failed, "\r\nConnection: close\r\n"));
    CHECK(f.server->stats().requests == 4);
}

TEST_CASE("http server: pipelined requests are answered in order on one connection") {
    ServerFixture f;
    FdSocket client(SOCK_STREAM, f.at);
    REQUIRE(client.connect(f.at));
    // Three requests in one write, the last one split across two writes, then a HEAD.
    REQUIRE(client.send_all("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
                            "POST /info HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                            "GET /missing HTTP/1.1\r\nHo"));
    REQUIRE(client.send_all(
        "st: x\r\n\r\nHEAD /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    std::string all;
    CHECK(client.recv_until_eof(all));
    CHECK(count(all, "HTTP/1.1 ") == 4);
    const auto first = all.find("HTTP/1.1 200 OK");
    const auto second = all.find("POST /info abc");
    const auto third = all.find("HTTP/1.1 404");
    const auto fourth = all.rfind("HTTP/1.1 200 OK");
    CHECK(first == 0);
    CHECK(second != std::string::npos);
    CHECK(second < third);
    CHECK(third < fourth);
    // HEAD: the GET's Content-Length, no body.
    const std::string head = all.substr(fourth);
    CHECK(has(head, "\r\nContent-Length: 5\r\n"));
    CHECK(head.substr(head.size() - 4) == "\r\n\r\n");
    CHECK(f.server->stats().requests == 4);
}

TEST_CASE("http server: HTTP/1.0 keep-alive is honoured and said") {
    ServerFixture f;
    FdSocket client(SOCK_STREAM, f.at);
    REQUIRE(client.connect(f.at));
    REQUIRE(client.send_all("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    const std::string first = client.recv_some();
    CHECK(starts_with(first, "HTTP/1.1 200 OK\r\n"));
    CHECK(has(first, "\r\nConnection: keep-alive\r\n"));
    REQUIRE(client.send_all("GET /hello HTTP/1.0\r\n\r\n"));
    std::string second;
    CHECK(client.recv_until_eof(second));
    CHECK(starts_with(second, "HTTP/1.1 200 OK\r\n"));
    CHECK(has(second, "\r\nConnection: close\r\n"));
}

TEST_CASE("http server: malformed requests get their 4xx and the connection closes") {
    HttpServerOptions o;
    o.request_limits.max_body = 16;
    o.request_limits.max_line = 256;
    ServerFixture f(o);
    CHECK(starts_with(http_fetch(f.at, "garbage\r\n\r\n"), "HTTP/1.1 400 "));
    CHECK(starts_with(http_fetch(f.at, "GET / HTTP/1.1\r\n\r\n"), "HTTP/1.1 400 ")); // no Host
    CHECK(starts_with(http_fetch(f.at, "GET /" + std::string(300, 'a') + " HTTP/1.1\r\n\r\n"),
                      "HTTP/1.1 414 "));
    CHECK(starts_with(
        http_fetch(f.at, "POST /info HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n"),
        "HTTP/1.1 413 "));
    // A good request before a bad one is answered first; nothing after the bad one is.
    const auto mixed = http_fetch(f.at, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\nBAD\r\n\r\n"
                                        "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(starts_with(mixed, "HTTP/1.1 200 OK\r\n"));
    CHECK(count(mixed, "HTTP/1.1 ") == 2);
    CHECK(has(mixed, "HTTP/1.1 400 "));
    CHECK(f.server->stats().bad_requests == 5);
}

TEST_CASE("http server: idle keep-alive connections end, slow requests get 408") {
    HttpServerOptions o;
    o.request_timeout = 150ms;
    ServerFixture f(o);
    {
        FdSocket idle(SOCK_STREAM, f.at);
        REQUIRE(idle.connect(f.at));
        REQUIRE(idle.send_all("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
        std::string rest;
        const auto start = std::chrono::steady_clock::now();
        CHECK(idle.recv_until_eof(rest)); // the answer, then the close after the timeout
        CHECK(starts_with(rest, "HTTP/1.1 200 OK\r\n"));
        CHECK(count(rest, "HTTP/1.1 ") == 1);
        CHECK(std::chrono::steady_clock::now() - start >= 140ms);
    }
    {
        FdSocket slow(SOCK_STREAM, f.at);
        REQUIRE(slow.connect(f.at));
        REQUIRE(slow.send_all("GET /hello HTTP/1.1\r\nHo"));
        std::string rest;
        CHECK(slow.recv_until_eof(rest));
        CHECK(starts_with(rest, "HTTP/1.1 408 "));
    }
}

TEST_CASE("http server: upgrade checks and refusals") {
    ServerFixture f;
    const std::string key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    const std::string base = "Host: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
    // RFC 6455 §4.2.1: a missing key is 400, another version 426 with the one we speak.
    const auto no_key =
        http_fetch(f.at, "GET /r HTTP/1.1\r\n" + base + "Sec-WebSocket-Version: 13\r\n\r\n");
    CHECK(starts_with(no_key, "HTTP/1.1 400 "));
    const auto old =
        http_fetch(f.at, "GET /r HTTP/1.1\r\n" + base + key + "Sec-WebSocket-Version: 8\r\n\r\n");
    CHECK(starts_with(old, "HTTP/1.1 426 "));
    CHECK(has(old, "\r\nSec-WebSocket-Version: 13\r\n"));
    // The app refuses: its status, body and fields.
    const auto refused = http_fetch(f.at, "GET /refuse HTTP/1.1\r\n" + base + key +
                                              "Sec-WebSocket-Version: 13\r\n\r\n");
    CHECK(starts_with(refused, "HTTP/1.1 401 "));
    CHECK(has(refused, "\r\nWWW-Authenticate: Bearer\r\n"));
    CHECK(has(refused, "\r\nDate: "));
    CHECK(refused.substr(refused.size() - 14) == "token required");
    CHECK(f.server->stats().bad_requests == 2);
    CHECK(f.server->stats().websockets == 0);

    // Accepted: RFC 6455 §1.3's example key and answer, and the chosen subprotocol.
    FdSocket client(SOCK_STREAM, f.at);
    REQUIRE(client.connect(f.at));
    REQUIRE(
        client.send_all("GET /chat HTTP/1.1\r\n" + base + key +
                        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: x, chat\r\n\r\n"));
    const std::string answer = client.recv_some();
    CHECK(starts_with(answer, "HTTP/1.1 101 Switching Protocols\r\n"));
    CHECK(has(answer, "\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
    CHECK(has(answer, "\r\nSec-WebSocket-Protocol: chat\r\n"));
    CHECK(f.app.log.wait_prefix("open:"));
    CHECK(f.server->stats().websockets == 1);
}

TEST_CASE("http server: a factory that returns no handler closes with 1011") {
    ServerFixture f;
    RawWsClient client(f.at);
    REQUIRE(client.open("/null"));
    const auto close = client.next_close();
    CHECK(close.kind == rtc::ws::EventKind::Close);
    CHECK(close.code == 1011);
    CHECK(client.send_close(1011, ""));
    CHECK(client.wait_eof());
}

TEST_CASE("http server: stats count connections and every request") {
    ServerFixture f;
    FdSocket a(SOCK_STREAM, f.at);
    REQUIRE(a.connect(f.at));
    REQUIRE(a.send_all("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
    CHECK(starts_with(a.recv_some(), "HTTP/1.1 200 OK"));
    const auto s = f.server->stats();
    CHECK(s.connections == 1);
    CHECK(s.requests == 1);
    CHECK(s.rejected == 0);
}

TEST_CASE("http server: over max_connections is rejected") {
    HttpServerOptions o;
    o.max_connections = 1;
    ServerFixture f(o);
    FdSocket a(SOCK_STREAM, f.at);
    REQUIRE(a.connect(f.at));
    REQUIRE(a.send_all("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
    CHECK(starts_with(a.recv_some(), "HTTP/1.1 200 OK")); // the first is in
    FdSocket b(SOCK_STREAM, f.at);
    REQUIRE(b.connect(f.at)); // the kernel accepts; the server closes it at once
    std::string rest;
    CHECK(b.recv_until_eof(rest));
    CHECK(rest.empty());
    CHECK(f.server->stats().rejected == 1);
}

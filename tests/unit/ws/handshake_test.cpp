// The WebSocket opening handshake (RFC 6455 §4) on both sides, and ws:// URLs (§3).
#include "ws/handshake.hpp"
#include "ws/url.hpp"

#include "crypto/base64.hpp"
#include "http/request_parser.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace rtc::ws;
using rtc::http::ParseStatus;
using rtc::http::RequestParser;

namespace {

// RFC 6455 §1.3: the sample client handshake.
const std::string kSampleRequest = "GET /chat HTTP/1.1\r\n"
                                   "Host: server.example.com\r\n"
                                   "Upgrade: websocket\r\n"
                                   "Connection: Upgrade\r\n"
                                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                   "Origin: http://example.com\r\n"
                                   "Sec-WebSocket-Protocol: chat, superchat\r\n"
                                   "Sec-WebSocket-Version: 13\r\n"
                                   "\r\n";

std::string replace(std::string s, const std::string& from, const std::string& to) {
    const auto at = s.find(from);
    REQUIRE(at != std::string::npos);
    return s.replace(at, from.size(), to);
}

// Parses `text` and runs check_upgrade on it.
UpgradeCheck check(const std::string& text) {
    RequestParser parser;
    REQUIRE(parser.parse(text) == ParseStatus::Complete);
    return check_upgrade(parser.request());
}

ClientHandshakeOptions host_only(const std::string& host) {
    ClientHandshakeOptions o;
    o.host = host;
    return o;
}

ResponseHead parse_head(const std::string& text) {
    ResponseHead head;
    std::size_t used = 0;
    REQUIRE(parse_response_head(text, head, used) == HeadStatus::Complete);
    return head;
}

} // namespace

// RFC 6455 §1.3 (the value the RFC prints; also what Python's hashlib + base64 give).
TEST_CASE("ws handshake: RFC 6455 1.3 Sec-WebSocket-Accept example") {
    CHECK(accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_CASE("ws handshake: the RFC 6455 1.3 request is a valid upgrade") {
    RequestParser parser;
    REQUIRE(parser.parse(kSampleRequest) == ParseStatus::Complete);
    const auto& request = parser.request();
    CHECK(is_upgrade_request(request));
    const UpgradeCheck c = check_upgrade(request);
    CHECK(c.ok);
    CHECK(c.key == "dGhlIHNhbXBsZSBub25jZQ==");
    const auto protocols = offered_protocols(request);
    REQUIRE(protocols.size() == 2);
    CHECK(protocols[0] == "chat");
    CHECK(protocols[1] == "superchat");

    std::string out;
    write_upgrade_response(out, c.key, "chat");
    CHECK(out == "HTTP/1.1 101 Switching Protocols\r\n"
                 "Upgrade: websocket\r\n"
                 "Connection: Upgrade\r\n"
                 "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                 "Sec-WebSocket-Protocol: chat\r\n"
                 "\r\n");
}

TEST_CASE("ws handshake: malformed upgrades are refused with 400 or 426") {
    CHECK_FALSE(check(replace(kSampleRequest, "GET", "POST")).ok);
    CHECK(check(replace(kSampleRequest, "GET", "POST")).status == 400);
    const auto old = check(replace(kSampleRequest, "HTTP/1.1", "HTTP/1.0"));
    CHECK_FALSE(old.ok);
    CHECK(old.status == 400);
    CHECK(check(replace(kSampleRequest, "Upgrade: websocket\r\n", "")).error ==
          "missing Upgrade: websocket");
    CHECK(check(replace(kSampleRequest, "Connection: Upgrade", "Connection: keep-alive")).error ==
          "missing Connection: Upgrade");
    CHECK(check(replace(kSampleRequest, "Connection: Upgrade", "Connection: keep-alive, Upgrade"))
              .ok);
    CHECK(check(replace(kSampleRequest, "Upgrade: websocket", "upgrade: WebSocket")).ok);
    // The key must be base64 of exactly 16 bytes, and appear once.
    const auto short_key = check(replace(kSampleRequest, "dGhlIHNhbXBsZSBub25jZQ==", "AAAA"));
    CHECK_FALSE(short_key.ok);
    CHECK(short_key.status == 400);
    CHECK_FALSE(check(replace(kSampleRequest, "dGhlIHNhbXBsZSBub25jZQ==", "not base64!!")).ok);
    CHECK_FALSE(
        check(replace(kSampleRequest, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "")).ok);
    CHECK_FALSE(check(replace(kSampleRequest,
                              "Origin:", "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\nOrigin:"))
                    .ok);
    // Other versions: 426 and the version we speak.
    const auto v8 = check(replace(kSampleRequest, "Version: 13", "Version: 8"));
    CHECK_FALSE(v8.ok);
    CHECK(v8.status == 426);
    const auto none = check(replace(kSampleRequest, "Sec-WebSocket-Version: 13\r\n", ""));
    CHECK(none.status == 426);
    std::string refusal;
    write_upgrade_refusal(refusal, v8.status, v8.error);
    CHECK(refusal.rfind("HTTP/1.1 426 ", 0) == 0);
    CHECK(refusal.find("\r\nSec-WebSocket-Version: 13\r\n") != std::string::npos);
    CHECK(refusal.find("\r\nConnection: close\r\n") != std::string::npos);
    CHECK(refusal.find("\r\n\r\n" + std::string(v8.error)) != std::string::npos);
}

TEST_CASE("ws handshake: is_upgrade_request only looks at the method and Upgrade") {
    RequestParser parser;
    const std::string plain = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
    REQUIRE(parser.parse(plain) == ParseStatus::Complete);
    CHECK_FALSE(is_upgrade_request(parser.request()));
    RequestParser p2;
    const std::string bad = "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n";
    REQUIRE(p2.parse(bad) == ParseStatus::Complete);
    CHECK(is_upgrade_request(p2.request())); // an upgrade, if an invalid one
    CHECK_FALSE(check_upgrade(p2.request()).ok);
}

TEST_CASE("ws handshake: responses never carry header lines with CR or LF") {
    std::string out;
    write_upgrade_response(out, "dGhlIHNhbXBsZSBub25jZQ==", "",
                           {{"X-Good", "1"}, {"X-Bad", "a\r\nInjected: yes"}, {"Bad Name", "2"}});
    CHECK(out.find("X-Good: 1\r\n") != std::string::npos);
    CHECK(out.find("Injected") == std::string::npos);
    CHECK(out.find("Bad Name") == std::string::npos);
    CHECK(out.find("Sec-WebSocket-Protocol") == std::string::npos);
    std::string refusal;
    write_upgrade_refusal(refusal, 401, "token required",
                          {{"WWW-Authenticate", "Bearer"}, {"X-Bad", "\n"}});
    CHECK(refusal.rfind("HTTP/1.1 401 Unauthorized\r\n", 0) == 0);
    CHECK(refusal.find("WWW-Authenticate: Bearer\r\n") != std::string::npos);
    CHECK(refusal.find("X-Bad") == std::string::npos);
    CHECK(refusal.find("Sec-WebSocket-Version") == std::string::npos);
    CHECK(refusal.size() > 14);
    CHECK(refusal.substr(refusal.size() - 14) == "token required");
}

TEST_CASE("ws handshake: the client request passes the server's checks") {
    ClientHandshakeOptions options;
    options.host = "example.org:8443";
    options.target = "/room?id=alice";
    options.origin = "https://app.example.org";
    options.protocols = {"v1.rtc", "bad proto"};
    options.headers = {{"Authorization", "Bearer abc"}, {"X-Evil", "x\r\nHost: other"}};
    const auto hs = make_client_handshake(options);
    const auto key = rtc::crypto::base64_decode(hs.key);
    REQUIRE(key);
    CHECK(key->size() == 16);
    CHECK(make_client_handshake(host_only("h")).key != hs.key);

    RequestParser parser;
    REQUIRE(parser.parse(hs.request) == ParseStatus::Complete);
    CHECK(parser.consumed() == hs.request.size());
    const auto& r = parser.request();
    CHECK(r.target == "/room?id=alice");
    CHECK(r.header("Host") == "example.org:8443");
    CHECK(r.header("Origin") == "https://app.example.org");
    CHECK(r.header("Authorization") == "Bearer abc");
    CHECK_FALSE(r.header("X-Evil"));
    const auto offered = offered_protocols(r);
    REQUIRE(offered.size() == 1);
    CHECK(offered[0] == "v1.rtc");
    const auto c = check_upgrade(r);
    REQUIRE(c.ok);
    CHECK(c.key == hs.key);

    // The server's answer satisfies the client.
    std::string response;
    write_upgrade_response(response, c.key, "v1.rtc");
    response += "\x81\x02hi"; // a first frame right behind the head
    ResponseHead head;
    std::size_t used = 0;
    REQUIRE(parse_response_head(response, head, used) == HeadStatus::Complete);
    CHECK(response.substr(used) == "\x81\x02hi");
    CHECK(head.status == 101);
    CHECK(head.reason == "Switching Protocols");
    CHECK(head.header("sec-websocket-protocol") == "v1.rtc");
    CHECK(verify_server_handshake(head, hs.key, {"v1.rtc"}).empty());
    CHECK(verify_server_handshake(head, hs.key) ==
          "server selected a subprotocol that was not offered");
    CHECK(make_client_handshake(host_only("h")).request.rfind("GET / HTTP/1.1\r\n", 0) == 0);
}

TEST_CASE("ws handshake: the client refuses wrong server answers") {
    const std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
    const std::string good = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                             "Connection: Upgrade\r\nSec-WebSocket-Accept: "
                             "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    CHECK(verify_server_handshake(parse_head(good), key).empty());
    CHECK(verify_server_handshake(parse_head(good), "AAAAAAAAAAAAAAAAAAAAAA==") ==
          "server sent a wrong Sec-WebSocket-Accept");
    CHECK(verify_server_handshake(
              parse_head("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"), key) ==
          "server answered 401 Unauthorized");
    CHECK(verify_server_handshake(parse_head("HTTP/1.1 403\r\n\r\n"), key) ==
          "server answered 403 Forbidden");
    CHECK(verify_server_handshake(parse_head(replace(good, "Upgrade: websocket", "Upgrade: h2c")),
                                  key) == "server answered 101 without Upgrade: websocket");
    CHECK(verify_server_handshake(parse_head(replace(good, "Connection: Upgrade", "X: y")), key) ==
          "server answered 101 without Connection: Upgrade");
    CHECK(verify_server_handshake(
              parse_head(replace(good, "\r\n\r\n",
                                 "\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n")),
              key) == "server selected an extension that was not offered");
}

TEST_CASE("ws handshake: parse_response_head is incremental and bounded") {
    const std::string text = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\nX";
    // Every proper prefix of the head needs more.
    for (std::size_t n = 0; n + 1 < text.size(); ++n) {
        ResponseHead head;
        std::size_t used = 7;
        CHECK(parse_response_head(text.substr(0, n), head, used) == HeadStatus::NeedMore);
        CHECK(used == 0);
    }
    ResponseHead head;
    std::size_t used = 0;
    CHECK(parse_response_head(text, head, used) == HeadStatus::Complete);
    CHECK(used == text.size() - 1);
    CHECK(head.headers.size() == 1);
    // Bare LF line ends are accepted.
    CHECK(parse_response_head("HTTP/1.1 200 OK\nA: b\n\n", head, used) == HeadStatus::Complete);
    CHECK(head.header("a") == "b");
    CHECK(head.status == 200);
    // Garbage and oversized heads are errors.
    CHECK(parse_response_head("SSH-2.0-OpenSSH\r\n\r\n", head, used) == HeadStatus::Error);
    CHECK(parse_response_head("HTTP/1.1 1x1 Bad\r\n\r\n", head, used) == HeadStatus::Error);
    CHECK(parse_response_head("HTTP/1.1 101 OK\r\nno colon\r\n\r\n", head, used) ==
          HeadStatus::Error);
    CHECK(parse_response_head("HTTP/1.1 101 OK\r\nA: b\r\n folded\r\n\r\n", head, used) ==
          HeadStatus::Error);
    const std::string huge = "HTTP/1.1 200 OK\r\nX: " + std::string(200, 'x');
    CHECK(parse_response_head(huge, head, used, 100) == HeadStatus::Error);
    CHECK(parse_response_head(huge.substr(0, 50), head, used, 100) == HeadStatus::NeedMore);
}

TEST_CASE("ws url: schemes, hosts, ports and targets") {
    auto u = parse_url("ws://example.org/room?id=alice");
    REQUIRE(u);
    CHECK_FALSE(u->secure);
    CHECK(u->host == "example.org");
    CHECK(u->port == 80);
    CHECK(u->target == "/room?id=alice");
    CHECK(u->host_header == "example.org");

    u = parse_url("WSS://[::1]:8443");
    REQUIRE(u);
    CHECK(u->secure);
    CHECK(u->host == "::1");
    CHECK(u->port == 8443);
    CHECK(u->target == "/");
    CHECK(u->host_header == "[::1]:8443");

    u = parse_url("wss://127.0.0.1:443?x=1");
    REQUIRE(u);
    CHECK(u->port == 443);
    CHECK(u->target == "/?x=1");
    CHECK(u->host_header == "127.0.0.1");

    u = parse_url("ws://localhost:9000/a%20b");
    REQUIRE(u);
    CHECK(u->host_header == "localhost:9000");
    CHECK(u->target == "/a%20b");

    for (const char* bad :
         {"http://example.org/", "ws://", "ws:///path", "ws://h:0/", "ws://h:65536/", "ws://h:/",
          "ws://h:12x/", "ws://user@h/", "ws://h/#frag", "ws://h/a b", "ws://[::1/", "ws://[]/",
          "ws://[::1]x/", "ws://h/\r\nX: y", "example.org"})
        CHECK_MESSAGE(!parse_url(bad), bad);
}

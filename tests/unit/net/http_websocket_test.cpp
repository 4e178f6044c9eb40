// HttpServer, WebSocket side, driven by a raw client built on the ws codec: echo, fragments,
// pings, the closing handshake both ways, errors, keepalive, slow consumers, broadcast and close
// from other sessions' callbacks, and stop().
#include "http_test_util.hpp"
#include "net/http_server_state.hpp"

#include <doctest/doctest.h>

using namespace rtc::net::test;
using rtc::net::HttpServerOptions;
using rtc::ws::EventKind;
using rtc::ws::Opcode;

TEST_CASE("websocket: echo, fragments with a ping between, pong payload, welcome first") {
    ServerFixture f;
    f.app.welcome = "welcome";
    RawWsClient c(f.at);
    REQUIRE(c.open("/room"));
    auto first = c.next();
    CHECK(first.kind == EventKind::Message);
    CHECK(first.payload == "welcome");

    REQUIRE(c.send(Opcode::Text, "hello"));
    auto echo = c.next();
    CHECK(echo.kind == EventKind::Message);
    CHECK(echo.opcode == Opcode::Text);
    CHECK(echo.payload == "hello");

    REQUIRE(c.send(Opcode::Binary, std::string("\x00\xff\x01", 3)));
    auto bin = c.next();
    CHECK(bin.opcode == Opcode::Binary);
    CHECK(bin.payload == std::string("\x00\xff\x01", 3));

    // RFC 6455 §5.4: control frames may come between the fragments of a message.
    REQUIRE(c.send(Opcode::Text, "frag", false));
    REQUIRE(c.send(Opcode::Ping, "are you there"));
    REQUIRE(c.send(Opcode::Continuation, "men", false));
    REQUIRE(c.send(Opcode::Continuation, "ted"));
    auto pong = c.next();
    CHECK(pong.kind == EventKind::Pong);
    CHECK(pong.payload == "are you there");
    auto whole = c.next();
    CHECK(whole.kind == EventKind::Message);
    CHECK(whole.payload == "fragmented");

    const auto s = f.server->stats();
    CHECK(s.websockets == 1);
    CHECK(s.messages_in == 3);
    CHECK(s.messages_out == 4); // welcome + three echoes
}

TEST_CASE("websocket: the peer's Close is echoed, the server closes TCP, on_close is clean") {
    ServerFixture f;
    RawWsClient c(f.at);
    REQUIRE(c.open());
    REQUIRE(f.app.log.wait_prefix("open:1"));
    REQUIRE(c.send_close(4001, "done here"));
    auto close = c.next();
    CHECK(close.kind == EventKind::Close);
    CHECK(close.code == 4001);
    CHECK(c.wait_eof());
    REQUIRE(f.app.log.wait_prefix("close:1:"));
    CHECK(f.app.log.find_prefix("close:1:") == "close:1:4001:done here:1");
    CHECK(f.server->stats().websockets == 0);

    // A Close without a code: echoed empty, reported as 1005.
    RawWsClient d(f.at);
    REQUIRE(d.open());
    REQUIRE(d.send(Opcode::Close, ""));
    auto empty = d.next();
    CHECK(empty.kind == EventKind::Close);
    CHECK(empty.code == 1005);
    REQUIRE(f.app.log.wait_prefix("close:2:"));
    CHECK(f.app.log.find_prefix("close:2:") == "close:2:1005::1");
}

TEST_CASE("websocket: close from inside on_message does not re-enter and drops later data") {
    ServerFixture f;
    RawWsClient c(f.at);
    REQUIRE(c.open());
    // Both messages in one segment: the second arrives after the handler closed.
    std::string two;
    rtc::ws::write_frame(two, Opcode::Text, "close:4000", rtc::ws::Role::Client);
    rtc::ws::write_frame(two, Opcode::Text, "after", rtc::ws::Role::Client);
    REQUIRE(c.send_raw(two));
    auto close = c.next();
    CHECK(close.kind == EventKind::Close);
    CHECK(close.code == 4000);
    CHECK(close.reason == "bye-from-server");
    REQUIRE(c.send_close(4000, ""));
    CHECK(c.wait_eof());
    REQUIRE(f.app.log.wait_prefix("close:1:"));
    CHECK(f.app.log.find_prefix("close:1:") == "close:1:4000:bye-from-server:1");
    CHECK_FALSE(f.app.log.contains("msg:1:after"));
    CHECK(f.app.log.count_prefix("reentered") == 0);
    CHECK(f.app.log.count_prefix("used-after-close") == 0);
}

TEST_CASE("websocket: our Close unanswered ends the connection after close_timeout") {
    HttpServerOptions o;
    o.close_timeout = 200ms;
    ServerFixture f(o);
    RawWsClient c(f.at);
    REQUIRE(c.open());
    REQUIRE(c.send(Opcode::Text, "close:1000"));
    const auto start = std::chrono::steady_clock::now();
    auto close = c.next();
    CHECK(close.code == 1000);
    CHECK(c.wait_eof()); // no answer from us
    CHECK(std::chrono::steady_clock::now() - start >= 150ms);
    REQUIRE(f.app.log.wait_prefix("close:1:"));
    CHECK(f.app.log.find_prefix("close:1:") == "close:1:1000:bye-from-server:0");
}

TEST_CASE("websocket: protocol errors close with 1002, 1007, 1009 and are counted") {
    HttpServerOptions o;
    o.max_message = 1024;
    ServerFixture f(o);
    {
        RawWsClient c(f.at);
        REQUIRE(c.open());
        REQUIRE(c.send_raw(std::string("\x81\x02hi", 4))); // RFC 6455 §5.1: unmasked
        auto close = c.next();
        CHECK(close.kind == EventKind::Close);
        CHECK(close.code == 1002);
        CHECK(c.wait_eof());
    }
    {
        RawWsClient c(f.at);
        REQUIRE(c.open());
        REQUIRE(c.send(Opcode::Text, "\xff\xfe"));
        auto close = c.next();
        CHECK(close.code == 1007);
        CHECK(c.wait_eof());
    }
    {
        RawWsClient c(f.at);
        REQUIRE(c.open());
        REQUIRE(c.send(Opcode::Binary, std::string(1025, 'x')));
        auto close = c.next();
        CHECK(close.code == 1009);
        CHECK(c.wait_eof());
    }
    {
        // Over the limit only once reassembled.
        RawWsClient c(f.at);
        REQUIRE(c.open());
        REQUIRE(c.send(Opcode::Text, std::string(600, 'a'), false));
        REQUIRE(c.send(Opcode::Continuation, std::string(600, 'a')));
        auto close = c.next();
        CHECK(close.code == 1009);
    }
    REQUIRE(f.app.log.wait_prefix("close:", 4));
    CHECK(f.app.log.find_prefix("close:1:") == "close:1:1002:unmasked frame:0");
    CHECK(f.app.log.find_prefix("close:2:").rfind("close:2:1007:", 0) == 0);
    CHECK(f.app.log.find_prefix("close:3:").rfind("close:3:1009:", 0) == 0);
    const auto s = f.server->stats();
    CHECK(s.protocol_errors == 2);
    CHECK(s.too_big == 2);
    CHECK(s.websockets == 0);
}

TEST_CASE("websocket: a dropped connection reports 1006, not clean") {
    ServerFixture f;
    {
        RawWsClient c(f.at);
        REQUIRE(c.open());
        REQUIRE(f.app.log.wait_prefix("open:1"));
    } // closed without a Close frame
    REQUIRE(f.app.log.wait_prefix("close:1:"));
    CHECK(f.app.log.find_prefix("close:1:") == "close:1:1006::0");
}

TEST_CASE("websocket: server pings after silence, answered pings keep it open, silence closes") {
    HttpServerOptions o;
    o.ping_interval = 100ms;
    ServerFixture f(o);
    RawWsClient c(f.at);
    REQUIRE(c.open());
    // Answer three pings: the session outlives 3 x the interval.
    for (int i = 0; i < 3; ++i) {
        auto ping = c.next();
        REQUIRE(ping.kind == EventKind::Ping);
        REQUIRE(c.send(Opcode::Pong, ping.payload));
    }
    REQUIRE(c.send(Opcode::Text, "still here"));
    auto echo = c.next();
    CHECK(echo.payload == "still here");
    CHECK(f.server->stats().ping_timeouts == 0);
    // Now stay silent: one more ping, then 1001 "ping timeout" and the connection goes.
    auto ping = c.next();
    CHECK(ping.kind == EventKind::Ping);
    const auto start = std::chrono::steady_clock::now();
    auto close = c.next();
    CHECK(close.kind == EventKind::Close);
    CHECK(close.code == 1001);
    CHECK(close.reason == "ping timeout");
    CHECK(std::chrono::steady_clock::now() - start >= 50ms);
    CHECK(c.wait_eof());
    REQUIRE(f.app.log.wait_prefix("close:1:"));
    CHECK(f.app.log.find_prefix("close:1:") == "close:1:1001:ping timeout:0");
    CHECK(f.server->stats().ping_timeouts == 1);
}

TEST_CASE("websocket: more unsent output than max_output_bytes is a slow consumer") {
    HttpServerOptions o;
    o.max_output_bytes = 64 * 1024;
    o.close_timeout = 300ms;
    ServerFixture f(o);
    RawWsClient c(f.at);
    REQUIRE(c.open());
    RawWsClient other(f.at);
    REQUIRE(other.open());
    // All sends happen in one callback, so nothing drains in between: the limit trips for sure.
    REQUIRE(c.send(Opcode::Text, "flood:1000:4096"));
    std::size_t messages = 0;
    auto end = c.next_close(&messages);
    REQUIRE(f.app.log.wait_prefix("flood:1:"));
    const std::string flood = f.app.log.find_prefix("flood:1:");
    const int sent = std::stoi(flood.substr(8, flood.find(':', 8) - 8));
    CHECK(sent < 1000);
    if constexpr (rtc::net::kPreciseOutputLimit) {
        CHECK(messages == static_cast<std::size_t>(sent)); // all of them, then the Close
        CHECK(sent <= 16);
        CHECK(end.kind == EventKind::Close);
        CHECK(end.code == 1008);
        CHECK(end.reason == "slow consumer");
    } else {
        // StreamConnection cannot count unsent bytes: the StreamServer cuts the connection.
        CHECK(messages <= static_cast<std::size_t>(sent));
        CHECK(end.kind == EventKind::NeedMore);
    }
    REQUIRE(f.app.log.wait_prefix("close:1:"));
    CHECK(f.app.log.find_prefix("close:1:").rfind("close:1:1008:slow consumer:0", 0) == 0);
    CHECK(f.server->stats().slow_consumers == 1);
    // The other session is untouched.
    REQUIRE(other.send(Opcode::Text, "fine"));
    CHECK(other.next().payload == "fine");
}

TEST_CASE("websocket: broadcast and close from another session's callback") {
    ServerFixture f;
    RawWsClient a(f.at), b(f.at), c(f.at);
    REQUIRE(a.open());
    REQUIRE(b.open());
    REQUIRE(c.open());
    REQUIRE(f.app.log.wait_prefix("open:", 3));
    REQUIRE(a.send(Opcode::Text, "broadcast:hi all"));
    CHECK(b.next().payload == "hi all");
    CHECK(c.next().payload == "hi all");
    // a closes b and c from its on_message, then sends to them: refused (they are closing).
    REQUIRE(a.send(Opcode::Text, "kick"));
    REQUIRE(f.app.log.wait_prefix("kick:1:"));
    CHECK(f.app.log.find_prefix("kick:1:") == "kick:1:2");
    for (auto* peer : {&b, &c}) {
        auto close = peer->next();
        CHECK(close.kind == EventKind::Close);
        CHECK(close.code == 4002);
        REQUIRE(peer->send_close(4002, ""));
        CHECK(peer->wait_eof());
    }
    REQUIRE(f.app.log.wait_prefix("close:", 2));
    CHECK(f.app.log.find_prefix("close:2:") == "close:2:4002:kicked:1");
    CHECK(f.app.log.find_prefix("close:3:") == "close:3:4002:kicked:1");
    // a is unaffected.
    REQUIRE(a.send(Opcode::Text, "ok"));
    CHECK(a.next().payload == "ok");
    CHECK(f.app.log.count_prefix("reentered") == 0);
}

TEST_CASE("websocket: stop() sends 1001, waits for answers within the grace, then is done") {
    HttpServerOptions o;
    o.close_timeout = 300ms;
    ServerFixture f(o);
    RawWsClient polite(f.at), silent(f.at);
    REQUIRE(polite.open());
    REQUIRE(silent.open());
    FdSocket http(SOCK_STREAM, f.at);
    REQUIRE(http.connect(f.at));
    REQUIRE(http.send_all("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
    REQUIRE(http.recv_some().rfind("HTTP/1.1 200 OK", 0) == 0);
    REQUIRE(f.app.log.wait_prefix("open:", 2));

    auto done = std::make_shared<std::promise<void>>();
    auto finished = done->get_future();
    f.stopped = true;
    const auto start = std::chrono::steady_clock::now();
    f.server->stop(std::chrono::seconds(3), [done, &f] {
        f.app.log.add("done");
        done->set_value();
    });
    auto a = polite.next();
    CHECK(a.kind == EventKind::Close);
    CHECK(a.code == 1001);
    REQUIRE(polite.send_close(1001, ""));
    CHECK(polite.wait_eof());
    auto b = silent.next();
    CHECK(b.code == 1001);
    std::string rest;
    CHECK(http.recv_until_eof(rest)); // the idle HTTP connection is closed
    CHECK(rest.empty());
    REQUIRE(finished.wait_for(5s) == std::future_status::ready);
    // The silent one held the stop for its close_timeout, not for the whole grace.
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(took >= 250ms);
    CHECK(took < 2500ms);
    CHECK(silent.wait_eof());
    CHECK(f.app.log.find_prefix("close:1:") == "close:1:1001:going away:1");
    CHECK(f.app.log.find_prefix("close:2:") == "close:2:1001:going away:0");
    // Every handler heard of its end before done.
    CHECK(f.app.log.index_of("done") > f.app.log.index_of("close:1:1001:going away:1"));
    CHECK(f.app.log.index_of("done") > f.app.log.index_of("close:2:1001:going away:0"));
    CHECK(f.server->stats().websockets == 0);
    CHECK(f.server->stats().connections == 0);
    // New connections are no longer accepted.
    FdSocket late(SOCK_STREAM, f.at);
    CHECK_FALSE(late.connect(f.at));
}

TEST_CASE("websocket: stop() with a short grace ends a silent peer at the grace") {
    HttpServerOptions o;
    o.close_timeout = std::chrono::seconds(10);
    ServerFixture f(o);
    RawWsClient silent(f.at);
    REQUIRE(silent.open());
    REQUIRE(f.app.log.wait_prefix("open:1"));
    const auto start = std::chrono::steady_clock::now();
    CHECK(f.stop(200ms));
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(took >= 150ms);
    CHECK(took < 3s);
    CHECK(silent.next().code == 1001);
    CHECK(silent.wait_eof());
    CHECK(f.app.log.find_prefix("close:1:") == "close:1:1001:going away:0");
}

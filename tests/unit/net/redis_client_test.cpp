#include "net/redis_client.hpp"
#include "redis_test_support.hpp"

#include <asio/ip/tcp.hpp>
#include <asio/write.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

using namespace rtc::net;
using rtc::net::test::RedisServerProcess;
using rtc::net::test::run_for;
using rtc::net::test::run_until;

namespace {

using namespace std::chrono_literals;

// A stand-in for Redis that misbehaves on purpose.
class FakeServer {
public:
    enum class Mode { Silent, CloseAfterRead, Garbage };

    FakeServer(asio::io_context& io, Mode mode)
        : acceptor_(io, asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), 0)), mode_(mode) {
        accept();
    }
    uint16_t port() const { return acceptor_.local_endpoint().port(); }
    int accepted() const { return accepted_; }
    const std::string& received() const { return received_; }
    RedisUrl url() const {
        RedisUrl url;
        url.port = port();
        return url;
    }

private:
    using Socket = std::shared_ptr<asio::ip::tcp::socket>;
    void accept() {
        acceptor_.async_accept([this](const std::error_code& ec, asio::ip::tcp::socket socket) {
            if (ec)
                return;
            ++accepted_;
            auto s = std::make_shared<asio::ip::tcp::socket>(std::move(socket));
            sockets_.push_back(s);
            serve(s);
            accept();
        });
    }
    void serve(const Socket& s) {
        s->async_read_some(asio::buffer(buf_), [this, s](const std::error_code& ec, std::size_t n) {
            if (ec)
                return;
            received_.append(buf_, n);
            if (mode_ == Mode::CloseAfterRead) {
                s->close();
                return;
            }
            if (mode_ == Mode::Garbage)
                asio::write(*s, asio::buffer(std::string_view("!bogus\r\n")));
            serve(s);
        });
    }

    asio::ip::tcp::acceptor acceptor_;
    Mode mode_;
    int accepted_ = 0;
    std::string received_;
    char buf_[4096];
    std::vector<Socket> sockets_;
};

RedisClientOptions fast_options() {
    RedisClientOptions options;
    options.connect_timeout = 2s;
    options.reconnect_min = 50ms;
    options.reconnect_max = 400ms;
    return options;
}

} // namespace

TEST_CASE("RedisUrl parses host, port, credentials and database") {
    auto url = RedisUrl::parse("redis://127.0.0.1:6380");
    REQUIRE(url);
    CHECK(url->host == "127.0.0.1");
    CHECK(url->port == 6380);
    CHECK(url->password.empty());
    CHECK(url->db == 0);

    url = RedisUrl::parse("REDIS://:s%40cret@redis.example:7000/3");
    REQUIRE(url);
    CHECK(url->host == "redis.example");
    CHECK(url->port == 7000);
    CHECK(url->username.empty());
    CHECK(url->password == "s@cret");
    CHECK(url->db == 3);
    CHECK(url->to_string() == "redis://:***@redis.example:7000/3");

    url = RedisUrl::parse("redis://app:pw@[::1]/");
    REQUIRE(url);
    CHECK(url->host == "::1");
    CHECK(url->port == 6379);
    CHECK(url->username == "app");
    CHECK(url->password == "pw");
    CHECK(url->to_string() == "redis://app:***@[::1]:6379");

    url = RedisUrl::parse("redis://localhost");
    REQUIRE(url);
    CHECK(url->host == "localhost");
    CHECK(url->port == 6379);
}

TEST_CASE("RedisUrl refuses malformed URLs and says why") {
    for (const char* bad :
         {"", "redis:/", "http://127.0.0.1:6379", "redis://", "redis://:6379",
          "redis://host:", "redis://host:0", "redis://host:65536", "redis://host:12x",
          "redis://host/db", "redis://host/1?x=1", "redis://[::1", "redis://[1.2.3.4]:6379",
          "redis://[::1]x", "redis://pw@host", "redis://:%zz@host", "redis://:%4@host",
          "redis://ho st", "rediss://host"}) {
        std::string error;
        CHECK_MESSAGE(!RedisUrl::parse(bad, &error), bad);
        CHECK_MESSAGE(error.find('"') == 0, bad);
    }
    std::string error;
    CHECK_FALSE(RedisUrl::parse("redis://app:hunter2@host:99999/1", &error));
    CHECK(error == "\"redis://***@host:99999/1\": the port must be 1-65535");
}

TEST_CASE("RedisClient drops commands while it cannot connect and backs off") {
    asio::io_context io;
    RedisUrl url;
    url.port = rtc::net::test::free_tcp_port(); // nobody listens
    RedisClientOptions options;
    options.reconnect_min = 100ms;
    options.reconnect_max = 5s;
    RedisClient client(io, url, options);
    int disconnects = 0;
    client.set_on_disconnected([&](std::string_view) { ++disconnects; });
    client.start();
    bool called = false;
    CHECK_FALSE(client.command({"PING"}, [&](const RedisReply&) { called = true; }));
    CHECK(client.stats().dropped == 1);

    // Attempts at about 0, 100, 300 and 700 ms (doubling backoff): 3 or 4 in the first second.
    run_for(io, 1000ms);
    const auto stats = client.stats();
    CHECK(stats.connect_failures >= 2);
    CHECK(stats.connect_failures <= 5);
    CHECK(stats.connects == 0);
    CHECK_FALSE(client.connected());
    CHECK(client.last_error().find("cannot connect") != std::string::npos);
    CHECK_FALSE(called);
    CHECK(disconnects == 0); // never connected, so never "disconnected"
}

TEST_CASE("RedisClient pipelines commands and gets replies in order") {
    RTC_REQUIRE_REDIS_SERVER();
    RedisServerProcess redis;
    REQUIRE_MESSAGE(redis.start(), redis.log());
    asio::io_context io;
    RedisClient client(io, redis.url(), fast_options());
    int connected = 0;
    client.set_on_connected([&] { ++connected; });
    client.start();
    REQUIRE(run_until(io, [&] { return connected == 1; }));

    const std::string binary("a\0b\r\nc", 6); // binary-safe arguments
    std::vector<std::string> seen;
    auto record = [&](std::string tag) {
        return [&seen, tag](const RedisReply& r) {
            switch (r.type()) {
            case RedisReplyType::Status:
                seen.push_back(tag + ":status:" + std::string(r.str()));
                break;
            case RedisReplyType::String:
                seen.push_back(tag + ":string:" + std::string(r.str()));
                break;
            case RedisReplyType::Integer:
                seen.push_back(tag + ":int:" + std::to_string(r.integer()));
                break;
            case RedisReplyType::Nil:
                seen.push_back(tag + ":nil");
                break;
            case RedisReplyType::Error:
                seen.push_back(tag + ":error");
                break;
            case RedisReplyType::Array:
                seen.push_back(tag + ":array:" + std::to_string(r.size()) + ":" +
                               std::string(r[0].str()) + "," + std::string(r[1].str()));
                break;
            case RedisReplyType::None:
                seen.push_back(tag + ":none");
                break;
            }
        };
    };
    CHECK(client.command({"SET", "k", binary}, record("set")));
    CHECK(client.command({"GET", "k"}, record("get")));
    CHECK(client.command({"PING"}, record("ping")));
    for (int i = 0; i < 3; ++i)
        CHECK(client.command({"INCR", "n"}, record("incr")));
    CHECK(client.command({"GET", "missing"}, record("missing")));
    CHECK(client.command({"NOSUCHCOMMAND"}, record("bogus")));
    CHECK(client.command({"RPUSH", "l", "x", "y"})); // no handler
    CHECK(client.command({"LRANGE", "l", "0", "-1"}, record("lrange")));
    REQUIRE(run_until(io, [&] { return seen.size() == 9; }));

    const std::vector<std::string> expected{
        "set:status:OK", "get:string:" + binary, "ping:status:PONG",
        "incr:int:1",    "incr:int:2",           "incr:int:3",
        "missing:nil",   "bogus:error",          "lrange:array:2:x,y"};
    CHECK(seen == expected);
    const auto stats = client.stats();
    CHECK(stats.commands == 10);
    CHECK(stats.replies == 10);
    CHECK(stats.dropped == 0);
    CHECK(stats.connects == 1);
    CHECK(stats.connected);
    CHECK_FALSE(client.command(std::span<const std::string_view>()));
    CHECK(client.stats().dropped == 1);
}

TEST_CASE("RedisClient authenticates and selects the database") {
    RTC_REQUIRE_REDIS_SERVER();
    RedisServerProcess redis({"--requirepass", "s3cret"});
    REQUIRE_MESSAGE(redis.start(), redis.log());
    asio::io_context io;
    const std::string base = "redis://:s3cret@127.0.0.1:" + std::to_string(redis.port());

    RedisClient db3(io, *RedisUrl::parse(base + "/3"), fast_options());
    RedisClient db0(io, *RedisUrl::parse(base), fast_options());
    // Redis 6 ACL form: the "default" user with the requirepass password.
    RedisClient acl(
        io,
        *RedisUrl::parse("redis://default:s3cret@127.0.0.1:" + std::to_string(redis.port()) + "/3"),
        fast_options());
    RedisClient wrong(io,
                      *RedisUrl::parse("redis://:nope@127.0.0.1:" + std::to_string(redis.port())),
                      fast_options());
    int ready = 0;
    for (auto* c : {&db3, &db0, &acl}) {
        c->set_on_connected([&] { ++ready; });
        c->start();
    }
    bool wrong_connected = false;
    wrong.set_on_connected([&] { wrong_connected = true; });
    wrong.start();
    REQUIRE(run_until(io, [&] { return ready == 3; }));

    bool set_done = false;
    REQUIRE(db3.command({"SET", "where", "three"},
                        [&](const RedisReply& r) { set_done = r.str() == "OK"; }));
    REQUIRE(run_until(io, [&] { return set_done; }));
    std::string in0 = "?", in3 = "?";
    REQUIRE(db0.command({"GET", "where"}, [&](const RedisReply& r) {
        in0 = r.type() == RedisReplyType::Nil ? "nil" : std::string(r.str());
    }));
    REQUIRE(
        acl.command({"GET", "where"}, [&](const RedisReply& r) { in3 = std::string(r.str()); }));
    REQUIRE(run_until(io, [&] { return in0 != "?" && in3 != "?"; }));
    CHECK(in0 == "nil");
    CHECK(in3 == "three");

    REQUIRE(run_until(io, [&] { return wrong.stats().connect_failures >= 2; }));
    CHECK_FALSE(wrong_connected);
    CHECK_FALSE(wrong.connected());
    CHECK(wrong.last_error().find("AUTH failed") != std::string::npos);
    CHECK(wrong.last_error().find("nope") == std::string::npos); // never logs the password
}

TEST_CASE("RedisClient subscriber receives messages on its channels") {
    RTC_REQUIRE_REDIS_SERVER();
    RedisServerProcess redis;
    REQUIRE_MESSAGE(redis.start(), redis.log());
    asio::io_context io;
    RedisClient pub(io, redis.url(), fast_options());
    RedisClient sub(io, redis.url(), fast_options());
    std::vector<std::string> got;
    sub.set_on_message([&](std::string_view channel, std::string_view payload) {
        got.push_back(std::string(channel) + "=" + std::string(payload));
    });
    int ready = 0;
    pub.set_on_connected([&] { ++ready; });
    sub.set_on_connected([&] { ++ready; });
    sub.subscribe("alpha");
    pub.start();
    sub.start();
    REQUIRE(run_until(io, [&] { return ready == 2; }));
    CHECK_FALSE(sub.command({"GET", "x"})); // a subscriber takes no other command

    long long receivers = -1;
    pub.command({"PUBLISH", "alpha", "one"}, [&](const RedisReply& r) { receivers = r.integer(); });
    pub.command({"PUBLISH", "beta", "ignored"});
    REQUIRE(run_until(io, [&] { return got.size() == 1 && receivers >= 0; }));
    CHECK(receivers == 1);
    CHECK(got[0] == "alpha=one");

    // Subscribing while connected; unsubscribing stops delivery on that channel.
    sub.subscribe("beta");
    long long beta_receivers = 0;
    REQUIRE(run_until(io, [&] {
        if (beta_receivers == 0)
            pub.command({"PUBLISH", "beta", "two"},
                        [&](const RedisReply& r) { beta_receivers = r.integer(); });
        return beta_receivers == 1 && got.size() >= 2;
    }));
    CHECK(got.back() == "beta=two");
    // Until Redis has seen the UNSUBSCRIBE a PUBLISH may still reach it: every one that did
    // (reply 1) is delivered, none after.
    sub.unsubscribe("alpha");
    long long last = 1;
    int delivered_alpha = 0;
    REQUIRE(run_until(io, [&] {
        if (last != 0)
            pub.command({"PUBLISH", "alpha", "three"}, [&](const RedisReply& r) {
                last = r.integer();
                delivered_alpha += r.integer() == 1 ? 1 : 0;
            });
        return last == 0;
    }));
    pub.command({"PUBLISH", "beta", "four"});
    REQUIRE(run_until(io, [&] { return got.back() == "beta=four"; }));
    CHECK(std::count(got.begin(), got.end(), "alpha=three") == delivered_alpha);
    CHECK(sub.stats().messages == got.size());
}

TEST_CASE("RedisClient answers commands in flight with None when the server goes away") {
    asio::io_context io;
    FakeServer server(io, FakeServer::Mode::CloseAfterRead);
    RedisClient client(io, server.url(), fast_options());
    int connected = 0;
    std::vector<std::string> reasons;
    client.set_on_connected([&] { ++connected; });
    client.set_on_disconnected([&](std::string_view r) { reasons.emplace_back(r); });
    client.start();
    REQUIRE(run_until(io, [&] { return connected == 1; }));

    std::vector<RedisReplyType> replies;
    CHECK(client.command({"GET", "a"}, [&](const RedisReply& r) { replies.push_back(r.type()); }));
    CHECK(client.command({"GET", "b"}, [&](const RedisReply& r) { replies.push_back(r.type()); }));
    REQUIRE(run_until(io, [&] { return reasons.size() == 1; }));
    CHECK(replies == std::vector<RedisReplyType>{RedisReplyType::None, RedisReplyType::None});
    // EOF, or a reset since the stand-in closed with the second command unread.
    CHECK((reasons[0] == "connection closed by the server" ||
           reasons[0].find("reset") != std::string::npos));
    CHECK(server.received().find("GET") != std::string::npos);
    CHECK_FALSE(client.command({"GET", "c"})); // down: dropped, not queued

    // It reconnects by itself (the stand-in accepts again).
    REQUIRE(run_until(io, [&] { return connected == 2 && server.accepted() == 2; }));
    const auto stats = client.stats();
    CHECK(stats.disconnects == 1);
    CHECK(stats.reconnects == 1);
    CHECK(stats.dropped == 1);
}

TEST_CASE("RedisClient drops the connection on a protocol error") {
    asio::io_context io;
    FakeServer server(io, FakeServer::Mode::Garbage);
    RedisClient client(io, server.url(), fast_options());
    std::string reason;
    bool connected = false;
    client.set_on_connected([&] { connected = true; });
    client.set_on_disconnected([&](std::string_view r) { reason = r; });
    client.start();
    REQUIRE(run_until(io, [&] { return connected; }));
    RedisReplyType reply = RedisReplyType::Status;
    CHECK(client.command({"PING"}, [&](const RedisReply& r) { reply = r.type(); }));
    REQUIRE(run_until(io, [&] { return !reason.empty(); }));
    CHECK(reason.find("protocol error") != std::string::npos);
    CHECK(reply == RedisReplyType::None);
}

TEST_CASE("RedisClient gives up on a silent server: handshake timeout and PING") {
    asio::io_context io;
    FakeServer server(io, FakeServer::Mode::Silent);

    // AUTH never answered: the attempt times out.
    RedisUrl with_password = server.url();
    with_password.password = "pw";
    auto options = fast_options();
    options.connect_timeout = 200ms;
    RedisClient auth_client(io, with_password, options);
    auth_client.start();
    REQUIRE(run_until(
        io, [&] { return auth_client.stats().connect_failures >= 1; }, 5s));
    CHECK(auth_client.last_error().find("timed out") != std::string::npos);
    CHECK(auth_client.stats().connects == 0);
    auth_client.stop();

    // No handshake, so ready at once; the unanswered PING drops it.
    options.ping_interval = 100ms;
    RedisClient client(io, server.url(), options);
    std::string reason;
    client.set_on_disconnected([&](std::string_view r) { reason = r; });
    client.start();
    REQUIRE(run_until(
        io, [&] { return !reason.empty(); }, 5s));
    CHECK(reason.find("no reply to PING") != std::string::npos);
    CHECK(server.received().find("PING") != std::string::npos);
}

TEST_CASE("RedisClient bounds commands awaiting replies and bytes not yet written") {
    asio::io_context io;
    FakeServer server(io, FakeServer::Mode::Silent);
    auto options = fast_options();
    options.max_pending_replies = 3;
    RedisClient client(io, server.url(), options);
    bool connected = false;
    client.set_on_connected([&] { connected = true; });
    client.start();
    REQUIRE(run_until(io, [&] { return connected; }));
    int answered = 0;
    for (int i = 0; i < 3; ++i)
        CHECK(client.command({"GET", "k"}, [&](const RedisReply&) { ++answered; }));
    CHECK_FALSE(client.command({"GET", "k"}, [&](const RedisReply&) { ++answered; }));
    CHECK(client.stats().dropped == 1);
    CHECK(client.stats().commands == 3);

    options.max_pending_replies = 1000;
    options.max_output_bytes = 1024;
    RedisClient small(io, server.url(), options);
    bool small_connected = false;
    small.set_on_connected([&] { small_connected = true; });
    small.start();
    REQUIRE(run_until(io, [&] { return small_connected; }));
    const std::string big(4096, 'x');
    // The first goes out at once; the next ones wait behind it until the bound is reached.
    int accepted = 0;
    for (int i = 0; i < 10; ++i)
        accepted += small.command({"SET", "k", big}) ? 1 : 0;
    CHECK(accepted >= 1);
    CHECK(accepted < 10);
    CHECK(small.stats().dropped == static_cast<uint64_t>(10 - accepted));

    // stop(): no callback runs afterwards, not even for the commands in flight.
    client.stop();
    run_for(io, 50ms);
    CHECK(answered == 0);
    CHECK_FALSE(client.connected());
}

TEST_CASE("RedisClient reconnects and resubscribes after Redis restarts") {
    RTC_REQUIRE_REDIS_SERVER();
    RedisServerProcess redis;
    REQUIRE_MESSAGE(redis.start(), redis.log());
    asio::io_context io;
    RedisClient pub(io, redis.url(), fast_options());
    RedisClient sub(io, redis.url(), fast_options());
    int pub_up = 0, sub_up = 0, pub_down = 0, sub_down = 0;
    pub.set_on_connected([&] { ++pub_up; });
    sub.set_on_connected([&] { ++sub_up; });
    pub.set_on_disconnected([&](std::string_view) { ++pub_down; });
    sub.set_on_disconnected([&](std::string_view) { ++sub_down; });
    std::vector<std::string> got;
    sub.set_on_message([&](std::string_view, std::string_view p) { got.emplace_back(p); });
    sub.subscribe("ch");
    pub.start();
    sub.start();
    REQUIRE(run_until(io, [&] { return pub_up == 1 && sub_up == 1; }));

    redis.kill();
    REQUIRE(run_until(io, [&] { return pub_down == 1 && sub_down == 1; }));
    CHECK_FALSE(pub.command({"PUBLISH", "ch", "lost"}));
    REQUIRE_MESSAGE(redis.start(), redis.log()); // same port
    REQUIRE(run_until(io, [&] { return pub_up == 2 && sub_up == 2; }));
    CHECK(pub.command({"PUBLISH", "ch", "after"}));
    REQUIRE(run_until(io, [&] { return !got.empty(); }));
    CHECK(got == std::vector<std::string>{"after"});
    CHECK(pub.stats().reconnects == 1);
    CHECK(sub.stats().reconnects == 1);
    CHECK(pub.stats().dropped == 1);
}

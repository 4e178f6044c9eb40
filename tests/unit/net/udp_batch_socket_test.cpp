#include "net/io_pool.hpp"
#include "net/udp_batch_socket.hpp"
#include "test_sockets.hpp"

#include <asio/post.hpp>
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <future>

using rtc::net::ReceivedDatagram;
using rtc::net::UdpBatchOptions;
using rtc::net::UdpBatchSocket;
using rtc::net::test::FdSocket;
using rtc::util::Endpoint;

namespace {

const Endpoint kLoopback4 = *Endpoint::parse("127.0.0.1:0");

// Runs `f` on the context's thread and waits for it (bounded).
template <class F> auto on_thread(asio::io_context& io, F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    asio::post(io, [&task] { task(); });
    REQUIRE(result.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
    return result.get();
}

void echo(UdpBatchSocket& s, std::span<const ReceivedDatagram> batch) {
    for (const auto& d : batch)
        s.send(d.data, d.source);
}

} // namespace

TEST_CASE("udp: binding port 0 reports the kernel's port") {
    asio::io_context io;
    auto s = UdpBatchSocket::open(io, kLoopback4);
    CHECK(s->local_endpoint().port != 0);
    CHECK(s->local_endpoint().address == rtc::util::IpAddress::loopback(rtc::util::Family::V4));
}

TEST_CASE("udp: SO_REUSEPORT sharing and IPV6_V6ONLY") {
    asio::io_context io;
    auto first = UdpBatchSocket::open(io, kLoopback4);
    const Endpoint same = first->local_endpoint();
    std::error_code ec;
    auto second = UdpBatchSocket::open(io, same, {}, ec);
    CHECK_FALSE(ec);
    CHECK(second != nullptr);

    UdpBatchOptions exclusive;
    exclusive.reuse_port = false;
    auto third = UdpBatchSocket::open(io, same, exclusive, ec);
    CHECK(ec);
    CHECK(third == nullptr);
    CHECK_THROWS_AS(UdpBatchSocket::open(io, same, exclusive), std::system_error);

    // [::] and 0.0.0.0 share a port without SO_REUSEPORT thanks to IPV6_V6ONLY.
    auto v6 = UdpBatchSocket::open(io, *Endpoint::parse("[::]:0"), exclusive, ec);
    REQUIRE_FALSE(ec);
    auto v4 = UdpBatchSocket::open(
        io, Endpoint{rtc::util::IpAddress::any(rtc::util::Family::V4), v6->local_endpoint().port},
        exclusive, ec);
    CHECK_FALSE(ec);
}

TEST_CASE("udp: echo of 100k datagrams through recvmmsg/sendmmsg") {
    rtc::net::IoPool pool(1);
    auto server = UdpBatchSocket::open(pool.context(0), kLoopback4);
    server->start(echo);
    pool.start();

    FdSocket client(SOCK_DGRAM, kLoopback4);
    REQUIRE(client.connect(server->local_endpoint()));
    constexpr int kTotal = 100000;
    constexpr int kWindow = 64;
    int sent = 0, received = 0, mismatched = 0;
    char buf[256];
    const auto t0 = std::chrono::steady_clock::now();
    while (sent < kTotal) {
        const int window = std::min(kWindow, kTotal - sent);
        for (int i = 0; i < window; ++i) {
            uint32_t seq = static_cast<uint32_t>(sent + i);
            std::memset(buf, 'p', 100);
            std::memcpy(buf, &seq, sizeof(seq));
            REQUIRE(::send(client.fd(), buf, 100, 0) == 100);
        }
        sent += window;
        for (int i = 0; i < window; ++i) {
            const ssize_t n = ::recv(client.fd(), buf, sizeof(buf), 0);
            if (n <= 0)
                break; // 5 s without an answer: counted as lost below
            if (n != 100)
                ++mismatched;
            ++received;
        }
        if (received != sent)
            break;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    MESSAGE("udp echo: " << received << " datagrams in " << seconds << " s ("
                         << static_cast<long>(received / seconds) << " round trips/s)");
    CHECK(received == kTotal);
    CHECK(mismatched == 0);
    const auto stats = on_thread(pool.context(0), [&] { return server->stats(); });
    CHECK(stats.datagrams_received == static_cast<uint64_t>(kTotal));
    CHECK(stats.datagrams_sent == static_cast<uint64_t>(kTotal));
    CHECK(stats.bytes_received == 100u * kTotal);
    CHECK(stats.send_dropped == 0);
    on_thread(pool.context(0), [&] {
        server->close();
        return 0;
    });
    pool.stop();
    pool.join();
}

TEST_CASE("udp: oversized datagrams are truncated and counted") {
    asio::io_context io;
    UdpBatchOptions options;
    options.max_datagram = 64;
    auto server = UdpBatchSocket::open(io, kLoopback4, options);
    std::vector<std::pair<std::size_t, bool>> seen;
    server->start([&](UdpBatchSocket&, std::span<const ReceivedDatagram> batch) {
        for (const auto& d : batch)
            seen.emplace_back(d.data.size(), d.truncated);
    });
    FdSocket client(SOCK_DGRAM, kLoopback4);
    REQUIRE(client.connect(server->local_endpoint()));
    REQUIRE(client.send_all(std::string(200, 'x')));
    REQUIRE(client.send_all(std::string(10, 'y')));
    for (int i = 0; i < 100 && seen.size() < 2; ++i)
        io.run_one_for(std::chrono::milliseconds(50));
    REQUIRE(seen.size() == 2);
    CHECK(seen[0] == std::pair<std::size_t, bool>{64, true});
    CHECK(seen[1] == std::pair<std::size_t, bool>{10, false});
    CHECK(server->stats().truncated == 1);
}

TEST_CASE("udp: a handler answers from another socket of the same thread") {
    asio::io_context io;
    auto primary = UdpBatchSocket::open(io, kLoopback4);
    auto alternate = UdpBatchSocket::open(io, kLoopback4);
    primary->start([alt = alternate.get()](UdpBatchSocket&, std::span<const ReceivedDatagram> b) {
        for (const auto& d : b)
            alt->send(d.data, d.source); // RFC 5780 CHANGE-REQUEST style
    });
    alternate->start(echo);
    FdSocket client(SOCK_DGRAM, kLoopback4);
    sockaddr_storage ss;
    const socklen_t len = rtc::net::to_sockaddr(primary->local_endpoint(), ss);
    REQUIRE(::sendto(client.fd(), "ping", 4, 0, reinterpret_cast<sockaddr*>(&ss), len) == 4);
    // Drive the loop until the reply is queued and flushed (bounded).
    for (int i = 0; i < 100 && alternate->stats().datagrams_sent == 0; ++i)
        io.run_one_for(std::chrono::milliseconds(50));
    char buf[16];
    sockaddr_storage from{};
    socklen_t from_len = sizeof(from);
    const ssize_t n =
        ::recvfrom(client.fd(), buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
    REQUIRE(n == 4);
    CHECK(std::string(buf, 4) == "ping");
    CHECK(rtc::net::from_sockaddr(from, from_len) == alternate->local_endpoint());
    CHECK(primary->stats().datagrams_sent == 0);
}

TEST_CASE("udp: refused and oversized sends are counted, not thrown") {
    asio::io_context io;
    UdpBatchOptions options;
    options.max_datagram = 100;
    options.send_queue = 4;
    auto s = UdpBatchSocket::open(io, kLoopback4, options);
    const uint8_t small[10] = {};
    const uint8_t big[101] = {};
    CHECK_FALSE(s->send(big, *Endpoint::parse("127.0.0.1:9")));
    CHECK(s->stats().send_dropped == 1);
    // An IPv6 destination on an IPv4 socket: the kernel refuses it.
    CHECK(s->send(small, *Endpoint::parse("[::1]:9")));
    s->flush();
    CHECK(s->stats().send_errors == 1);
    CHECK(s->stats().datagrams_sent == 0);
    // The queue bound: with the socket closed nothing more is accepted.
    s->close();
    CHECK_FALSE(s->send(small, *Endpoint::parse("127.0.0.1:9")));
    CHECK(s->stats().send_dropped == 2);
}

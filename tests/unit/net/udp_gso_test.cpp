// UDP GSO and sendmmsg batching: the run splitting, the kernel's refusals, partial sendmmsg
// results and EAGAIN, through UdpBatchSocket and RelaySockets. Every datagram must arrive, in
// the order it was queued, whatever the kernel (or an injected sendmmsg) does.
#include "net/relay_socket.hpp"
#include "net/socket_address.hpp"
#include "net/udp_batch_socket.hpp"
#include "test_sockets.hpp"

#include <asio/io_context.hpp>
#include <doctest/doctest.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

using rtc::net::GsoState;
using rtc::net::OutDatagram;
using rtc::net::SendBatch;
using rtc::net::test::FdSocket;
using rtc::util::Endpoint;

namespace {

const Endpoint kLoopback4 = *Endpoint::parse("127.0.0.1:0");

struct Destination {
    sockaddr_storage addr{};
    socklen_t length = 0;
    explicit Destination(const Endpoint& e) { length = rtc::net::to_sockaddr(e, addr); }
};

// Binds `s` to 127.0.0.1 at a port the kernel picks; returns where it listens.
Endpoint bind_loopback(FdSocket& s) {
    Destination any(kLoopback4);
    REQUIRE(::bind(s.fd(), reinterpret_cast<const sockaddr*>(&any.addr), any.length) == 0);
    return s.local();
}

// Datagram i: 4 bytes of sequence number, then filler up to `size`.
std::vector<uint8_t> numbered(uint32_t seq, std::size_t size) {
    std::vector<uint8_t> d(size, static_cast<uint8_t>('a' + seq % 26));
    std::memcpy(d.data(), &seq, std::min<std::size_t>(size, sizeof(seq)));
    return d;
}

// Reads datagrams until `count` arrived or the socket's 5 s timeout passes; (seq, size) each.
std::vector<std::pair<uint32_t, std::size_t>> receive(FdSocket& s, std::size_t count) {
    std::vector<std::pair<uint32_t, std::size_t>> out;
    uint8_t buf[70000];
    while (out.size() < count) {
        const ssize_t n = ::recv(s.fd(), buf, sizeof(buf), 0);
        if (n < 0)
            break;
        uint32_t seq = 0;
        std::memcpy(&seq, buf, std::min<std::size_t>(static_cast<std::size_t>(n), 4));
        out.emplace_back(seq, static_cast<std::size_t>(n));
    }
    return out;
}

// What the injected sendmmsg saw and does. Tests run one at a time, so plain globals do.
struct Hook {
    int calls = 0;
    int gso_messages = 0;   // messages carrying UDP_SEGMENT
    int plain_messages = 0; // messages without
    int fail_calls = 0;     // the first fail_calls calls fail with fail_errno ...
    int fail_errno = 0;
    bool fail_only_gso = false;   // ... or only calls whose first message is a GSO one
    unsigned max_per_call = 1024; // partial results: at most this many messages per call
};
Hook hook;

int hooked_sendmmsg(int fd, mmsghdr* messages, unsigned int count, int flags) {
    ++hook.calls;
    const bool first_gso = messages[0].msg_hdr.msg_controllen > 0;
    if (hook.fail_calls > 0 && (!hook.fail_only_gso || first_gso)) {
        --hook.fail_calls;
        errno = hook.fail_errno;
        return -1;
    }
    count = std::min(count, hook.max_per_call);
    const int n = ::sendmmsg(fd, messages, count, flags);
    for (int i = 0; i < n; ++i)
        (messages[i].msg_hdr.msg_controllen > 0 ? hook.gso_messages : hook.plain_messages)++;
    return n;
}

} // namespace

TEST_CASE("gso: runs of equal sizes to one destination, the last one may be shorter") {
    Destination a(*Endpoint::parse("127.0.0.1:1000")), b(*Endpoint::parse("127.0.0.1:1001"));
    Destination a_again(*Endpoint::parse("127.0.0.1:1000")); // equal bytes, another address
    std::vector<uint8_t> bytes(2000);
    auto d = [&](std::size_t size, const Destination& to) {
        return OutDatagram{{bytes.data(), size}, &to.addr, to.length};
    };
    GsoState gso;
    using rtc::net::gso_run_length;

    CHECK(gso_run_length({}, gso) == 0);
    std::vector<OutDatagram> list{d(100, a), d(100, a_again), d(100, a), d(40, a), d(40, a)};
    CHECK(gso_run_length(list, gso) == 4); // the 40-byte one ends the run
    list = {d(100, a), d(100, a), d(120, a)};
    CHECK(gso_run_length(list, gso) == 2); // a longer one cannot be a segment
    list = {d(100, a), d(100, b), d(100, a)};
    CHECK(gso_run_length(list, gso) == 1); // mixed destinations
    list = {d(0, a), d(0, a)};
    CHECK(gso_run_length(list, gso) == 1); // empty datagrams are sent one by one
    list = {d(100, a), d(0, a)};
    CHECK(gso_run_length(list, gso) == 1);

    list.assign(100, d(100, a));
    CHECK(gso_run_length(list, gso) == rtc::net::kGsoMaxSegments);
    list.assign(40, d(1999, a)); // 32 x 1999 fit under 64 kB, 33 do not
    CHECK(gso_run_length(list, gso) == rtc::net::kGsoMaxBytes / 1999);

    GsoState capped;
    capped.max_segment = 100;
    list.assign(5, d(100, a));
    CHECK(gso_run_length(list, capped) == 1);
    list.assign(5, d(99, a));
    CHECK(gso_run_length(list, capped) == 5);
    GsoState off;
    off.enabled = false;
    CHECK(gso_run_length(list, off) == 1); // with GSO off every datagram is its own message
}

TEST_CASE("gso: the kernel's refusals turn GSO down, other errors do not") {
    GsoState gso;
    CHECK_FALSE(gso.refused(ENETUNREACH, 100));
    CHECK(gso.enabled);
    CHECK(gso.refused(EINVAL, 1400)); // segment above the route's MTU: smaller ones still go
    CHECK(gso.enabled);
    CHECK(gso.max_segment == 1399);
    for (int i = 0; i < 20; ++i)
        gso.refused(EINVAL, 1000);
    CHECK_FALSE(gso.enabled); // refused again and again: given up
    GsoState no_device;
    CHECK(no_device.refused(EIO, 100));
    CHECK_FALSE(no_device.enabled);
}

// One SendBatch::send of a planned list through `scenario`'s sendmmsg; checks what arrived.
static void send_planned(const Hook& scenario) {
    CAPTURE(scenario.fail_errno);
    CAPTURE(scenario.max_per_call);
    FdSocket sender(SOCK_DGRAM, kLoopback4), rx_a(SOCK_DGRAM, kLoopback4),
        rx_b(SOCK_DGRAM, kLoopback4);
    Destination a(bind_loopback(rx_a)), b(bind_loopback(rx_b));
    // A run of 10 x 100 bytes to a ending in 37, 3 x 100 to b, 1 to a, 20 x 1000 to b.
    std::vector<std::pair<std::size_t, const Destination*>> plan;
    for (int i = 0; i < 10; ++i)
        plan.emplace_back(100, &a);
    plan.emplace_back(37, &a);
    for (int i = 0; i < 3; ++i)
        plan.emplace_back(100, &b);
    plan.emplace_back(100, &a);
    for (int i = 0; i < 20; ++i)
        plan.emplace_back(1000, &b);
    std::vector<std::vector<uint8_t>> data;
    std::vector<OutDatagram> list;
    for (std::size_t i = 0; i < plan.size(); ++i)
        data.push_back(numbered(static_cast<uint32_t>(i), plan[i].first));
    for (std::size_t i = 0; i < plan.size(); ++i)
        list.push_back({data[i], &plan[i].second->addr, plan[i].second->length});

    hook = scenario;
    SendBatch batch(64, hooked_sendmmsg);
    GsoState gso;
    const auto r = batch.send(sender.fd(), list, gso);
    CHECK(r.sent == plan.size());
    CHECK(r.refused == 0);
    CHECK_FALSE(r.blocked);
    CHECK(r.bytes == 10 * 100 + 37 + 4 * 100 + 20 * 1000);
    if (scenario.fail_errno == EIO) {
        CHECK_FALSE(gso.enabled);
        CHECK(hook.gso_messages == 0);
        CHECK(hook.plain_messages == static_cast<int>(plan.size()));
    } else if (scenario.fail_errno == EINVAL) {
        CHECK(gso.enabled);
        CHECK(gso.max_segment == 99); // 100 bytes and more (as for an MTU) go plain
        CHECK(hook.gso_messages == 0);
        CHECK(hook.plain_messages == static_cast<int>(plan.size()));
    } else {
        CHECK(hook.gso_messages == 3);   // 10 x 100 + 37 to a, 3 x 100 to b, 20 x 1000 to b
        CHECK(hook.plain_messages == 1); // the lone one to a
    }

    const auto got_a = receive(rx_a, 12);
    const auto got_b = receive(rx_b, 23);
    REQUIRE(got_a.size() == 12);
    REQUIRE(got_b.size() == 23);
    std::size_t ia = 0, ib = 0;
    for (std::size_t i = 0; i < plan.size(); ++i) {
        const auto& got = plan[i].second == &a ? got_a[ia++] : got_b[ib++];
        CHECK(got.first == i);
        CHECK(got.second == plan[i].first);
    }
}

TEST_CASE("gso: SendBatch delivers runs, shorter last segments and mixed destinations in order") {
    send_planned({}); // GSO
    Hook partial;     // partial sendmmsg results: one message per call
    partial.max_per_call = 1;
    send_planned(partial);
    Hook no_gso; // the kernel refuses GSO (EIO): the same datagrams again, plain
    no_gso.fail_calls = 1;
    no_gso.fail_errno = EIO;
    no_gso.fail_only_gso = true;
    send_planned(no_gso);
    Hook mtu = no_gso; // EINVAL for a segment size: that size and larger go plain
    mtu.fail_errno = EINVAL;
    send_planned(mtu);
}

TEST_CASE("gso: EAGAIN stops the batch; refused datagrams are dropped, the rest goes on") {
    FdSocket sender(SOCK_DGRAM, kLoopback4), rx(SOCK_DGRAM, kLoopback4);
    Destination to(bind_loopback(rx));
    std::vector<std::vector<uint8_t>> data;
    std::vector<OutDatagram> list;
    for (uint32_t i = 0; i < 6; ++i)
        data.push_back(numbered(i, i < 3 ? 50 : 80)); // runs: 3 x 50, 3 x 80
    for (auto& d : data)
        list.push_back({d, &to.addr, to.length});
    SendBatch batch(8, hooked_sendmmsg);
    GsoState gso;

    hook = {};
    hook.max_per_call = 1; // the first run goes, the next call hits EAGAIN
    hook.fail_calls = 0;
    auto r = batch.send(sender.fd(), std::span<const OutDatagram>(list).first(3), gso);
    CHECK(r.sent == 3);
    hook.fail_calls = 1;
    hook.fail_errno = EAGAIN;
    r = batch.send(sender.fd(), std::span<const OutDatagram>(list).subspan(3), gso);
    CHECK(r.blocked);
    CHECK(r.sent == 0);
    CHECK(r.refused == 0);

    hook = {};
    hook.fail_calls = 1;
    hook.fail_errno = ENETUNREACH; // the whole first run is refused, the kernel is not at fault
    r = batch.send(sender.fd(), list, gso);
    CHECK(r.refused == 3);
    CHECK(r.sent == 3);
    CHECK(gso.enabled);
    const auto got = receive(rx, 6);
    REQUIRE(got.size() == 6);
    const uint32_t expected[] = {0, 1, 2, 3, 4, 5};
    for (std::size_t i = 0; i < 6; ++i)
        CHECK(got[i].first == expected[i]);
}

TEST_CASE("gso: UdpBatchSocket keeps what EAGAIN left queued and sends it when writable") {
    asio::io_context io;
    rtc::net::UdpBatchOptions options;
    options.send_function = hooked_sendmmsg;
    options.send_queue = 64;
    auto socket = rtc::net::UdpBatchSocket::open(io, kLoopback4, options);
    FdSocket rx(SOCK_DGRAM, kLoopback4);
    const Endpoint to = bind_loopback(rx);
    hook = {};
    hook.fail_calls = 1;
    hook.fail_errno = EAGAIN;
    for (uint32_t i = 0; i < 40; ++i) // flushed after send() returns: the first flush blocks
        CHECK(socket->send(numbered(i, i < 20 ? 300 : 200), to));
    for (int i = 0; i < 100 && socket->stats().datagrams_sent < 40; ++i)
        io.run_one_for(std::chrono::milliseconds(50));
    const auto stats = socket->stats();
    CHECK(stats.datagrams_sent == 40);
    CHECK(stats.send_dropped == 0);
    CHECK(stats.send_errors == 0);
    CHECK(hook.gso_messages > 0);
    const auto got = receive(rx, 40);
    REQUIRE(got.size() == 40);
    for (uint32_t i = 0; i < 40; ++i) {
        CHECK(got[i].first == i);
        CHECK(got[i].second == (i < 20 ? 300u : 200u));
    }
}

TEST_CASE("gso: RelaySockets queue, one sendmmsg per socket per flush, order kept per socket") {
    asio::io_context io;
    rtc::net::RelaySocketOptions options;
    options.min_port = 40000;
    options.max_port = 40999;
    options.send_queue = 8; // small: queue() has to flush by itself
    options.send_function = hooked_sendmmsg;
    rtc::net::RelaySockets relays(io, options, [](auto, auto) {});
    std::error_code ec;
    const auto loopback = rtc::util::IpAddress::loopback(rtc::util::Family::V4);
    auto first = relays.open(loopback, false, ec);
    auto second = relays.open(loopback, false, ec);
    REQUIRE(first);
    REQUIRE(second);
    FdSocket peer(SOCK_DGRAM, kLoopback4);
    const Endpoint to = bind_loopback(peer);
    hook = {};
    // Interleaved: 0..11 alternate between the sockets, then 12 goes by send(), after the rest.
    for (uint32_t i = 0; i < 12; ++i)
        CHECK(relays.queue(i % 2 ? second->id : first->id, numbered(i, 120), to));
    CHECK(relays.send(first->id, numbered(12, 120), to));
    CHECK(relays.flush() == 0);                            // nothing left
    CHECK_FALSE(relays.queue(999, numbered(13, 120), to)); // unknown socket
    CHECK(relays.queue(second->id, numbered(14, 120), to));
    relays.close(second->id); // what was queued leaves before the socket closes
    CHECK(relays.flush() == 0);
    // Flushes: at the 9th datagram (4 + 4) and at send() (2 + 2): one GSO message per socket.
    CHECK(hook.gso_messages == 4);
    CHECK(relays.stats().datagrams_sent == 14);
    CHECK(relays.stats().send_errors == 0);

    const auto got = receive(peer, 14);
    REQUIRE(got.size() == 14);
    std::vector<uint32_t> order;
    for (const auto& g : got)
        order.push_back(g.first);
    // Per source socket the order is the queue order.
    std::vector<uint32_t> evens, odds;
    for (uint32_t seq : order)
        (seq % 2 == 0 && seq < 12 ? evens : odds).push_back(seq);
    CHECK(evens == std::vector<uint32_t>{0, 2, 4, 6, 8, 10});
    CHECK(order.back() == 14);
    CHECK(std::find(order.begin(), order.end(), 12) > std::find(order.begin(), order.end(), 10));
}

TEST_CASE("gso: defer_flush holds datagrams sent outside the handler until flush()") {
    asio::io_context io;
    auto socket = rtc::net::UdpBatchSocket::open(io, kLoopback4);
    FdSocket rx(SOCK_DGRAM, kLoopback4);
    const Endpoint to = bind_loopback(rx);
    socket->defer_flush();
    for (uint32_t i = 0; i < 5; ++i)
        CHECK(socket->send(numbered(i, 64), to));
    io.poll(); // no flush was posted
    CHECK(socket->stats().datagrams_sent == 0);
    socket->flush();
    CHECK(socket->stats().datagrams_sent == 5);
    CHECK(socket->send(numbered(5, 64), to)); // automatic again
    io.restart();
    io.poll();
    CHECK(socket->stats().datagrams_sent == 6);
    const auto got = receive(rx, 6);
    REQUIRE(got.size() == 6);
    for (uint32_t i = 0; i < 6; ++i)
        CHECK(got[i].first == i);
}

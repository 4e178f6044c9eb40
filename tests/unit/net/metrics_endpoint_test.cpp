#include "net/io_pool.hpp"
#include "net/metrics_endpoint.hpp"
#include "test_sockets.hpp"

#include <doctest/doctest.h>

#include <atomic>

using rtc::net::test::FdSocket;
using rtc::util::Endpoint;

namespace {

const Endpoint kLoopback4 = *Endpoint::parse("127.0.0.1:0");

std::string fetch(const Endpoint& at, const std::string& request) {
    FdSocket client(SOCK_STREAM, at);
    REQUIRE(client.connect(at));
    REQUIRE(client.send_all(request));
    std::string response;
    CHECK(client.recv_until_eof(response));
    return response;
}

} // namespace

TEST_CASE("metrics: /metrics, /healthz, 404, 405 and bad requests over a real socket") {
    rtc::net::IoPool pool(1);
    std::atomic<int> calls{0};
    auto endpoint = rtc::net::MetricsEndpoint::start(pool.context(0), kLoopback4, [&] {
        ++calls;
        return std::string("# TYPE rtc_up gauge\nrtc_up 1\n");
    });
    pool.start();
    const Endpoint at = endpoint->local_endpoint();
    REQUIRE(at.port != 0);

    const std::string metrics =
        fetch(at, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(metrics.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(metrics.find("\r\nContent-Type: text/plain; version=0.0.4\r\n") != std::string::npos);
    CHECK(metrics.find("\r\nDate: ") != std::string::npos);
    CHECK(metrics.size() > 29);
    CHECK(metrics.substr(metrics.size() - 29) == "# TYPE rtc_up gauge\nrtc_up 1\n");
    CHECK(calls == 1);

    const std::string health = fetch(at, "GET /healthz HTTP/1.0\r\n\r\n");
    CHECK(health.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(health.substr(health.size() - 6) == "\r\n\r\nok");

    CHECK(fetch(at, "GET /nope HTTP/1.0\r\n\r\n").rfind("HTTP/1.1 404 ", 0) == 0);
    const std::string post = fetch(at, "POST /metrics HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi");
    CHECK(post.rfind("HTTP/1.1 405 ", 0) == 0);
    CHECK(post.find("\r\nAllow: GET, HEAD\r\n") != std::string::npos);
    CHECK(fetch(at, "garbage\r\n\r\n").rfind("HTTP/1.1 400 ", 0) == 0);
    const std::string head = fetch(at, "HEAD /healthz HTTP/1.0\r\n\r\n");
    CHECK(head.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(head.substr(head.size() - 4) == "\r\n\r\n");

    // Two pipelined requests on one keep-alive connection, the second closing it.
    const std::string both =
        fetch(at, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                  "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(both.find("HTTP/1.1 200 OK") == 0);
    CHECK(both.find("HTTP/1.1 200 OK", 1) != std::string::npos);
    CHECK(calls == 2);

    endpoint->stop();
    pool.stop();
    pool.join();
}

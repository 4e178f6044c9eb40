#include "app/metrics.hpp"

#include "app/process_stats.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <ctime>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace rtc::app;

TEST_CASE("metrics: exact text exposition format 0.0.4") {
    MetricsRegistry registry;
    auto& udp = registry.counter("rtc_stun_requests_total", "Binding requests received.",
                                 {{"transport", "udp"}});
    auto& tcp = registry.counter("rtc_stun_requests_total", "Binding requests received.",
                                 {{"transport", "tcp"}});
    auto& sessions = registry.gauge("rtc_sessions", "Open sessions.");
    registry.counter("rtc_odd_total", "Help with a \\ backslash\nand a newline.",
                     {{"path", "C:\\dir \"x\"\nnext"}, {"b", ""}});
    registry.callback("rtc_table_size", "Entries in the table.", MetricType::Gauge,
                      {{"table", "nonces"}}, [] { return 2.5; });
    udp.inc();
    udp.inc(41);
    tcp.inc();
    sessions.add(3);
    sessions.sub();
    CHECK(udp.value() == 42);
    CHECK(sessions.value() == 2);
    CHECK(registry.render() == "# HELP rtc_stun_requests_total Binding requests received.\n"
                               "# TYPE rtc_stun_requests_total counter\n"
                               "rtc_stun_requests_total{transport=\"udp\"} 42\n"
                               "rtc_stun_requests_total{transport=\"tcp\"} 1\n"
                               "# HELP rtc_sessions Open sessions.\n"
                               "# TYPE rtc_sessions gauge\n"
                               "rtc_sessions 2\n"
                               "# HELP rtc_odd_total Help with a \\\\ backslash\\nand a newline.\n"
                               "# TYPE rtc_odd_total counter\n"
                               "rtc_odd_total{path=\"C:\\\\dir \\\"x\\\"\\nnext\",b=\"\"} 0\n"
                               "# HELP rtc_table_size Entries in the table.\n"
                               "# TYPE rtc_table_size gauge\n"
                               "rtc_table_size{table=\"nonces\"} 2.5\n");
}

TEST_CASE("metrics: registering again returns the same series") {
    MetricsRegistry registry;
    auto& a = registry.counter("x_total", "X.", {{"k", "v"}});
    auto& b = registry.counter("x_total", "X.", {{"k", "v"}});
    CHECK(&a == &b);
    auto& g1 = registry.gauge("g", "G.");
    CHECK(&g1 == &registry.gauge("g", "G."));
}

TEST_CASE("metrics: bad names and type clashes are programming errors") {
    MetricsRegistry registry;
    CHECK_THROWS_AS(registry.counter("1bad", "."), std::invalid_argument);
    CHECK_THROWS_AS(registry.counter("bad-name", "."), std::invalid_argument);
    CHECK_THROWS_AS(registry.counter("ok", ".", {{"__reserved", "v"}}), std::invalid_argument);
    CHECK_THROWS_AS(registry.counter("ok", ".", {{"a-b", "v"}}), std::invalid_argument);
    CHECK_THROWS_AS(registry.counter("ok", ".", {{"a", "1"}, {"a", "2"}}), std::invalid_argument);
    registry.counter("clash", ".");
    CHECK_THROWS_AS(registry.gauge("clash", "."), std::invalid_argument);
    CHECK_NOTHROW(registry.counter("ns:sub_total", "."));
}

TEST_CASE("metrics: non-finite callback values use Prometheus spellings") {
    MetricsRegistry registry;
    registry.callback("a", "A.", MetricType::Gauge, {}, [] { return 1.0 / 0.0; });
    registry.callback("b", "B.", MetricType::Gauge, {}, [] { return -1.0 / 0.0; });
    registry.callback("c", "C.", MetricType::Gauge, {}, [] { return 0.0 / 0.0; });
    std::string text = registry.render();
    CHECK(text.find("\na +Inf\n") != std::string::npos);
    CHECK(text.find("\nb -Inf\n") != std::string::npos);
    CHECK(text.find("\nc NaN\n") != std::string::npos);
}

TEST_CASE("metrics: counters incremented from several threads add up") {
    MetricsRegistry registry;
    auto& c = registry.counter("hits_total", "Hits.");
    constexpr int kThreads = 8;
    constexpr int kIncrements = 100000;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&c] {
            for (int i = 0; i < kIncrements; ++i)
                c.inc();
        });
    for (auto& th : threads)
        th.join();
    CHECK(c.value() == uint64_t{kThreads} * kIncrements);
    CHECK(registry.render().find("hits_total 800000\n") != std::string::npos);
}

TEST_CASE("metrics: process metrics from /proc/self") {
    ProcessStats before = read_process_stats();
    CHECK(before.resident_bytes > 0);
    CHECK(before.virtual_bytes >= before.resident_bytes);
    CHECK(before.open_fds >= 1);
    CHECK(before.max_fds >= before.open_fds);
    double now = static_cast<double>(std::time(nullptr));
    CHECK(before.start_time_seconds > now - 86400 * 365);
    CHECK(before.start_time_seconds <= now + 1);

    int fd = ::open("/dev/null", O_RDONLY);
    REQUIRE(fd >= 0);
    ProcessStats during = read_process_stats();
    ::close(fd);
    CHECK(during.open_fds == before.open_fds + 1);

    // Burn a little CPU (bounded) until the tick-based counter moves.
    volatile uint64_t sink = 0;
    double cpu = before.cpu_seconds;
    for (int round = 0; round < 2000 && cpu <= before.cpu_seconds; ++round) {
        for (int i = 0; i < 1000000; ++i)
            sink = sink + static_cast<uint64_t>(i);
        cpu = read_process_stats().cpu_seconds;
    }
    CHECK(cpu > before.cpu_seconds);

    MetricsRegistry registry;
    registry.add_process_metrics();
    std::string text = registry.render();
    for (const char* name : {"process_cpu_seconds_total", "process_open_fds", "process_max_fds",
                             "process_virtual_memory_bytes", "process_resident_memory_bytes",
                             "process_start_time_seconds"}) {
        CHECK_MESSAGE(text.find(std::string("# TYPE ") + name) != std::string::npos, name);
        CHECK_MESSAGE(text.find(std::string("\n") + name + " ") != std::string::npos, name);
    }
    CHECK(text.find("# TYPE process_cpu_seconds_total counter\n") != std::string::npos);
}

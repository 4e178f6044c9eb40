#include "net/signals.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <vector>

TEST_CASE("signals: SIGHUP reloads, SIGTERM and SIGINT stop") {
    asio::io_context io;
    std::vector<int> stops;
    int reloads = 0;
    rtc::net::SignalHandler handler(
        io, [&](int signo) { stops.push_back(signo); }, [&] { ++reloads; });
    std::raise(SIGHUP);
    for (int i = 0; i < 100 && reloads == 0; ++i)
        io.run_one_for(std::chrono::milliseconds(50));
    CHECK(reloads == 1);
    std::raise(SIGTERM);
    for (int i = 0; i < 100 && stops.empty(); ++i)
        io.run_one_for(std::chrono::milliseconds(50));
    std::raise(SIGINT);
    for (int i = 0; i < 100 && stops.size() < 2; ++i)
        io.run_one_for(std::chrono::milliseconds(50));
    CHECK(stops == std::vector<int>{SIGTERM, SIGINT});
    CHECK(reloads == 1);
    handler.cancel();
}

#include "app/run_main.hpp"

#include <doctest/doctest.h>

#include <sstream>
#include <stdexcept>

using namespace rtc::app;

namespace {

struct Outcome {
    int code;
    std::string err;
};

Outcome run(const std::function<int()>& fn) {
    std::ostringstream err;
    int code = run_main("rtc-turn", fn, err);
    return {code, err.str()};
}

} // namespace

TEST_CASE("run_main: the tool's own exit code passes through") {
    auto r = run([] { return 3; });
    CHECK(r.code == 3);
    CHECK(r.err.empty());
    CHECK(run([] { return kExitOk; }).code == 0);
}

TEST_CASE("run_main: ToolError is one line with the hint, exit 1") {
    auto r = run([]() -> int {
        throw ToolError("cannot listen on udp://0.0.0.0:3478: address in use",
                        "is another TURN server running?");
    });
    CHECK(r.code == kExitFailure);
    CHECK(r.err == "rtc-turn: cannot listen on udp://0.0.0.0:3478: address in use (is another "
                   "TURN server running?)\n");
}

TEST_CASE("run_main: ConfigError exits 2 and defaults the hint to --help") {
    auto r = run([]() -> int { throw ConfigError("--realm: must not be empty"); });
    CHECK(r.code == kExitUsage);
    CHECK(r.err == "rtc-turn: --realm: must not be empty (see rtc-turn --help)\n");
    auto r2 = run([]() -> int { throw ConfigError("--cert: expired", "renew it"); });
    CHECK(r2.err == "rtc-turn: --cert: expired (renew it)\n");
}

TEST_CASE("run_main: other exceptions exit 1 on one line") {
    auto r = run([]() -> int { throw std::runtime_error("boom\nsecond line"); });
    CHECK(r.code == kExitFailure);
    CHECK(r.err == "rtc-turn: boom second line (unexpected error; please report it)\n");
    auto r2 = run([]() -> int { throw 42; });
    CHECK(r2.code == kExitFailure);
    CHECK(r2.err == "rtc-turn: unknown exception (unexpected error; please report it)\n");
}

TEST_CASE("run_main: error_line") {
    CHECK(error_line("rtc-x", "what", "") == "rtc-x: what");
    CHECK(error_line("rtc-x", "a\tb\r\n", "hint") == "rtc-x: a b (hint)");
}

#include "app/log.hpp"

#include "app/listen_url.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <thread>
#include <vector>

using namespace rtc::app;

namespace {

// An unlinked temporary file the logger appends to; read() returns what was added since the
// last read. (A file rather than a pipe, so that writers never block on a full pipe.)
class Capture {
public:
    Capture() {
        char name[] = "/tmp/rtc_log_test_XXXXXX";
        fd_ = ::mkstemp(name);
        REQUIRE(fd_ >= 0);
        ::unlink(name);
        ::fcntl(fd_, F_SETFL, O_APPEND);
    }
    ~Capture() { ::close(fd_); }
    int fd() const { return fd_; }
    std::string read() {
        std::string out;
        std::array<char, 4096> buf{};
        for (int i = 0; i < 100000; ++i) {
            ssize_t n = ::pread(fd_, buf.data(), buf.size(), offset_);
            if (n <= 0)
                break;
            out.append(buf.data(), static_cast<std::size_t>(n));
            offset_ += n;
        }
        return out;
    }

private:
    int fd_ = -1;
    off_t offset_ = 0;
};

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos)
            end = text.size();
        out.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

// 2026-11-24T11:00:00.123Z
std::chrono::system_clock::time_point fixed_time() {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(1795518000123));
}

struct Counted {
    int* calls;
    std::string to_string() const {
        ++*calls;
        return "counted";
    }
};

} // namespace

TEST_CASE("log: level names") {
    CHECK(parse_log_level("warn") == LogLevel::Warn);
    CHECK(parse_log_level("off") == LogLevel::Off);
    CHECK_FALSE(parse_log_level("WARN"));
    CHECK(log_level_name(LogLevel::Trace) == "trace");
    CHECK(parse_log_format("json") == LogFormat::Json);
    CHECK_FALSE(parse_log_format("xml"));
}

TEST_CASE("log: text line format") {
    Logger log("rtc-stun");
    ListenSpec spec{
        .default_scheme = Scheme::Udp, .schemes = {{Scheme::Udp, 3478}}, .defaults = {}};
    auto url = parse_listen_url("udp://0.0.0.0:3478", spec);
    REQUIRE(url);
    std::string line;
    log.format_line(line, fixed_time(), LogLevel::Info, "listening", {{"url", *url}});
    CHECK(line == "2026-11-24T11:00:00.123Z info rtc-stun: listening url=udp://0.0.0.0:3478\n");
    char sep = '/';
    log.format_line(line, fixed_time(), LogLevel::Error, "chars", {{"sep", sep}});
    CHECK(line == "2026-11-24T11:00:00.123Z error rtc-stun: chars sep=/\n");
    log.format_line(line, fixed_time(), LogLevel::Warn, "odd\npeer",
                    {{"reason", "bad \"fingerprint\""}, {"n", -3}, {"ok", true}, {"empty", ""}});
    CHECK(line == "2026-11-24T11:00:00.123Z warn rtc-stun: odd\\x0apeer "
                  "reason=\"bad \\\"fingerprint\\\"\" n=-3 ok=true empty=\"\"\n");
}

TEST_CASE("log: JSON lines parse and carry the fields") {
    Capture capture;
    Logger log("rtc-stun", LogLevel::Debug, LogFormat::Json, capture.fd());
    rtc::util::Endpoint peer{rtc::util::IpAddress::loopback(rtc::util::Family::V6), 5000};
    std::string sdp = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n";
    log.info("listening", {{"url", "udp://0.0.0.0:3478"}, {"threads", 4u}});
    log.debug("dropped", {{"peer", peer},
                          {"bytes", int64_t{-1}},
                          {"ratio", 0.5},
                          {"valid", false},
                          {"sdp", sdp},
                          {"bad\"key", "\xff\xfe"}});
    log.trace("not shown");
    auto got = lines(capture.read());
    REQUIRE(got.size() == 2);

    auto first = nlohmann::json::parse(got[0]);
    CHECK(first["level"] == "info");
    CHECK(first["tool"] == "rtc-stun");
    CHECK(first["msg"] == "listening");
    CHECK(first["url"] == "udp://0.0.0.0:3478");
    CHECK(first["threads"] == 4);
    std::string ts = first["ts"];
    REQUIRE(ts.size() == 24);
    CHECK(ts[10] == 'T');
    CHECK(ts.back() == 'Z');
    CHECK(got[0].rfind("{\"ts\":\"", 0) == 0);

    auto second = nlohmann::json::parse(got[1]);
    CHECK(second["level"] == "debug");
    CHECK(second["peer"] == "[::1]:5000");
    CHECK(second["bytes"] == -1);
    CHECK(second["ratio"] == 0.5);
    CHECK(second["valid"] == false);
    CHECK(second["sdp"] == sdp);
    CHECK(second["bad\"key"] == "\xef\xbf\xbd\xef\xbf\xbd"); // U+FFFD twice
}

TEST_CASE("log: disabled levels do not format their fields") {
    Capture capture;
    Logger log("rtc-x", LogLevel::Info, LogFormat::Text, capture.fd());
    int calls = 0;
    Counted counted{&calls};
    log.debug("hot path", {{"v", counted}});
    CHECK(calls == 0);
    CHECK(capture.read().empty());
    log.set_level(LogLevel::Debug);
    CHECK(log.enabled(LogLevel::Debug));
    log.debug("hot path", {{"v", counted}});
    CHECK(calls == 1);
    CHECK(capture.read().find("hot path v=counted\n") != std::string::npos);
    log.set_level(LogLevel::Off);
    log.error("silenced");
    CHECK_FALSE(log.enabled(LogLevel::Error));
    CHECK(capture.read().empty());
}

TEST_CASE("log: lines from several threads do not interleave") {
    Capture capture;
    Logger log("rtc-x", LogLevel::Info, LogFormat::Json, capture.fd());
    constexpr int kThreads = 4;
    constexpr int kLines = 200;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&log, t] {
            std::string payload(100, static_cast<char>('a' + t));
            for (int i = 0; i < kLines; ++i)
                log.info("line", {{"thread", t}, {"i", i}, {"payload", payload}});
        });
    for (auto& th : threads)
        th.join();
    auto got = lines(capture.read());
    REQUIRE(got.size() == kThreads * kLines);
    std::array<int, kThreads> next{};
    for (const auto& line : got) {
        auto j = nlohmann::json::parse(line);
        int t = j["thread"];
        REQUIRE(t >= 0);
        REQUIRE(t < kThreads);
        CHECK(j["i"] == next[static_cast<std::size_t>(t)]++);
        CHECK(j["payload"] == std::string(100, static_cast<char>('a' + t)));
    }
}

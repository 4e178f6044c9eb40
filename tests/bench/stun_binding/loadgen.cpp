// stun_bench_loadgen: STUN Binding load over UDP against one server, printing what was sent,
// answered and lost, the answered rate and latency percentiles (text, or one JSON line).
//
//   stun_bench_loadgen --server 127.0.0.1:3478 --window 8 --duration 3s
//   stun_bench_loadgen --server 127.0.0.1:3478 --rate 50000 --json
#include "stun_load.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

namespace {

constexpr int kUsageError = 2;

void usage(std::FILE* out) {
    std::fputs(
        "usage: stun_bench_loadgen --server HOST:PORT [--sockets N] [--window W | --rate R]\n"
        "                          [--duration D] [--timeout D] [--drain D] [--json]\n"
        "  durations: 3s, 500ms; --window: outstanding requests per socket (default 8);\n"
        "  --rate: total requests per second, paced (replaces --window)\n",
        out);
}

[[noreturn]] void usage_error(const std::string& message) {
    std::fprintf(stderr, "stun_bench_loadgen: %s (see --help)\n", message.c_str());
    std::exit(kUsageError);
}

template <class T> T parse_number(std::string_view flag, std::string_view text) {
    T value{};
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || value < T{})
        usage_error(std::string(flag) + ": not a non-negative number: " + std::string(text));
    return value;
}

std::chrono::milliseconds parse_duration(std::string_view flag, std::string_view text) {
    if (text.ends_with("ms"))
        return std::chrono::milliseconds(parse_number<long>(flag, text.substr(0, text.size() - 2)));
    if (text.ends_with("s")) {
        auto seconds = parse_number<double>(flag, text.substr(0, text.size() - 1));
        return std::chrono::milliseconds(static_cast<long>(seconds * 1000));
    }
    usage_error(std::string(flag) + ": expected a duration like 3s or 500ms: " + std::string(text));
}

void print_text(const rtc::bench::LoadConfig& config, const rtc::bench::LoadResult& r) {
    auto us = [&](double q) { return static_cast<double>(r.latency.percentile(q)) / 1000.0; };
    std::string mode = config.rate > 0
                           ? "rate " + std::to_string(static_cast<long>(config.rate)) + "/s"
                           : "window " + std::to_string(config.window);
    std::printf("server      %s, %d sockets, %s\n", config.server.to_string().c_str(),
                config.sockets, mode.c_str());
    std::printf("sent        %llu in %.1f s\n", static_cast<unsigned long long>(r.sent), r.seconds);
    std::printf("answered    %llu (%.0f/s)\n", static_cast<unsigned long long>(r.answered),
                r.answered_per_second());
    std::printf("lost        %llu (%.3f%%), late %llu, invalid %llu, send blocked %llu, "
                "send errors %llu\n",
                static_cast<unsigned long long>(r.lost), 100.0 * r.loss_ratio(),
                static_cast<unsigned long long>(r.late), static_cast<unsigned long long>(r.invalid),
                static_cast<unsigned long long>(r.send_blocked),
                static_cast<unsigned long long>(r.send_errors));
    std::printf("latency us  p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f\n", us(0.5),
                us(0.9), us(0.99), us(0.999), static_cast<double>(r.latency.max()) / 1000.0);
}

} // namespace

int main(int argc, char** argv) {
    rtc::bench::LoadConfig config;
    bool json = false;
    bool have_server = false;
    for (int i = 1; i < argc; ++i) {
        std::string_view flag = argv[i];
        auto value = [&]() -> std::string_view {
            if (i + 1 >= argc)
                usage_error(std::string(flag) + " needs a value");
            return argv[++i];
        };
        if (flag == "-h" || flag == "--help") {
            usage(stdout);
            return 0;
        } else if (flag == "--server") {
            auto text = value();
            auto endpoint = rtc::util::Endpoint::parse(text);
            if (!endpoint)
                usage_error("--server: expected HOST:PORT, got " + std::string(text));
            config.server = *endpoint;
            have_server = true;
        } else if (flag == "--sockets") {
            config.sockets = parse_number<int>(flag, value());
        } else if (flag == "--window") {
            config.window = parse_number<int>(flag, value());
        } else if (flag == "--rate") {
            config.rate = parse_number<double>(flag, value());
        } else if (flag == "--duration") {
            config.duration = parse_duration(flag, value());
        } else if (flag == "--timeout") {
            config.timeout = parse_duration(flag, value());
        } else if (flag == "--drain") {
            config.drain = parse_duration(flag, value());
        } else if (flag == "--json") {
            json = true;
        } else {
            usage_error("unknown flag " + std::string(flag));
        }
    }
    if (!have_server)
        usage_error("--server is required");
    if (config.sockets < 1 || config.sockets > 4096 || config.window < 1)
        usage_error("--sockets must be 1..4096 and --window at least 1");
    try {
        rtc::bench::LoadResult result = rtc::bench::run_load(config);
        if (json)
            std::printf("%s\n", rtc::bench::to_json(config, result).c_str());
        else
            print_text(config, result);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "stun_bench_loadgen: %s\n", e.what());
        return 1;
    }
    return 0;
}

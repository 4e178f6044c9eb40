// signal_bench_loadgen: WebSocket signaling load against rtc-signal (room protocol) or the
// PeerJS server, printing one JSON line (or text) with what was relayed, latency percentiles,
// and, given the server's pid, its CPU time or RSS.
//
//   signal_bench_loadgen --server 127.0.0.1:8080 --dialect rooms --mode window --pairs 50
//   signal_bench_loadgen --server 127.0.0.1:9000 --dialect peerjs --mode rate --rate 10000
//   signal_bench_loadgen --server 127.0.0.1:9000 --dialect peerjs --mode idle --server-pid 12
#include "signal_load.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <sys/resource.h>

namespace {

constexpr int kUsageError = 2;

void usage(std::FILE* out) {
    std::fputs(
        "usage: signal_bench_loadgen --server HOST:PORT [--dialect rooms|peerjs]\n"
        "           [--mode window|rate|idle] [--pairs N] [--window W] [--rate R]\n"
        "           [--idle M] [--warmup-connections K] [--idle-room-size S] [--pad BYTES]\n"
        "           [--duration D] [--warmup D] [--settle D] [--drain D] [--setup-timeout D]\n"
        "           [--max-connecting N] [--peerjs-key KEY] [--server-pid PID] [--json]\n"
        "       signal_bench_loadgen --self-test\n"
        "  durations: 3s, 500ms. window: W messages in flight per pair, each answered at once;\n"
        "  rate: R relayed messages/s in all; idle: K then M idle connections, RSS read after\n"
        "  each (needs --server-pid).\n",
        out);
}

[[noreturn]] void usage_error(const std::string& message) {
    std::fprintf(stderr, "signal_bench_loadgen: %s (see --help)\n", message.c_str());
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

// Each process may hold as many sockets as the hard limit allows (20,000 on the bench box).
void raise_fd_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

// Checks the wire forms against what each server is known to relay; exit 0 when they hold.
int self_test() {
    using namespace rtc::bench;
    int failures = 0;
    auto check = [&](bool ok, const char* what) {
        if (!ok) {
            std::fprintf(stderr, "self-test failed: %s\n", what);
            ++failures;
        }
    };
    SignalLoadConfig config;
    check(wire::target(config, "r1", "a1", "t") == "/r1?id=a1", "rooms target");
    config.dialect = Dialect::PeerJs;
    check(wire::target(config, "r1", "a1", "tok") ==
              "/peerjs?key=peerjs&id=a1&token=tok&version=1.5.5",
          "peerjs target");
    std::string text;
    wire::write_message(text, Dialect::Rooms, "b1", 123456789012345, 0);
    check(text.starts_with(R"({"type":"message","to":"b1","data":{"candidate":{)"),
          "rooms message shape");
    check(wire::send_time_of(text) == 123456789012345, "rooms send time");
    // PeerJS re-serialises as {type,src,dst,payload}; rtc-signal adds "from": the marker stays.
    wire::write_message(text, Dialect::PeerJs, "b1", 42, 3);
    check(text.starts_with(R"({"type":"CANDIDATE","dst":"b1","payload":{)"), "peerjs shape");
    check(text.ends_with(R"("t":"bench:42","pad":"xxx"}})"), "peerjs padding");
    check(wire::send_time_of(
              R"({"type":"CANDIDATE","src":"a","dst":"b","payload":{"t":"bench:42"}})") == 42,
          "relayed send time");
    check(wire::send_time_of(R"({"type":"welcome","id":"a"})") == -1, "no marker");
    check(wire::send_time_of(R"({"t":"bench:"})") == -1, "marker without digits");
    if (failures == 0)
        std::puts("self-test passed");
    return failures == 0 ? 0 : 1;
}

void print_text(const rtc::bench::SignalLoadConfig& config, const rtc::bench::SignalLoadResult& r) {
    std::printf("server      %s (%s)\n", config.server.to_string().c_str(),
                config.dialect == rtc::bench::Dialect::Rooms ? "rooms" : "peerjs");
    std::printf("connections %d opened, %d failed, %d dropped, %llu server errors%s%s\n", r.opened,
                r.connect_failed, r.dropped, static_cast<unsigned long long>(r.server_errors),
                r.first_error.empty() ? "" : "; first: ", r.first_error.c_str());
    if (config.mode == rtc::bench::LoadMode::Idle) {
        std::printf("rss kB      %ld before, %ld after %d idle connections\n", r.rss_before_kb,
                    r.rss_after_kb, config.idle);
        return;
    }
    auto us = [&](double q) { return static_cast<double>(r.latency.percentile(q)) / 1000.0; };
    std::printf("relayed     %llu in %.2f s (%.0f/s), lost %llu, refused %llu\n",
                static_cast<unsigned long long>(r.relayed), r.seconds, r.relayed_per_second(),
                static_cast<unsigned long long>(r.lost()),
                static_cast<unsigned long long>(r.send_refused));
    std::printf("latency us  p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f\n", us(0.5),
                us(0.9), us(0.99), us(0.999), static_cast<double>(r.latency.max()) / 1000.0);
    if (r.server_cpu_seconds >= 0 && r.relayed > 0)
        std::printf("server cpu  %.2f s, %.2f us per relayed message\n", r.server_cpu_seconds,
                    r.server_cpu_seconds * 1e6 / static_cast<double>(r.relayed));
}

} // namespace

int main(int argc, char** argv) {
    rtc::bench::SignalLoadConfig config;
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
        } else if (flag == "--self-test") {
            return self_test();
        } else if (flag == "--server") {
            auto text = value();
            auto endpoint = rtc::util::Endpoint::parse(text);
            if (!endpoint)
                usage_error("--server: expected HOST:PORT, got " + std::string(text));
            config.server = *endpoint;
            have_server = true;
        } else if (flag == "--dialect") {
            auto text = value();
            if (text == "rooms")
                config.dialect = rtc::bench::Dialect::Rooms;
            else if (text == "peerjs")
                config.dialect = rtc::bench::Dialect::PeerJs;
            else
                usage_error("--dialect: expected rooms or peerjs, got " + std::string(text));
        } else if (flag == "--mode") {
            auto text = value();
            if (text == "window")
                config.mode = rtc::bench::LoadMode::Window;
            else if (text == "rate")
                config.mode = rtc::bench::LoadMode::Rate;
            else if (text == "idle")
                config.mode = rtc::bench::LoadMode::Idle;
            else
                usage_error("--mode: expected window, rate or idle, got " + std::string(text));
        } else if (flag == "--pairs") {
            config.pairs = parse_number<int>(flag, value());
        } else if (flag == "--window") {
            config.window = parse_number<int>(flag, value());
        } else if (flag == "--rate") {
            config.rate = parse_number<double>(flag, value());
        } else if (flag == "--idle") {
            config.idle = parse_number<int>(flag, value());
        } else if (flag == "--warmup-connections") {
            config.warmup_connections = parse_number<int>(flag, value());
        } else if (flag == "--idle-room-size") {
            config.idle_room_size = parse_number<int>(flag, value());
        } else if (flag == "--max-connecting") {
            config.max_connecting = parse_number<int>(flag, value());
        } else if (flag == "--pad") {
            config.pad = parse_number<int>(flag, value());
        } else if (flag == "--duration") {
            config.duration = parse_duration(flag, value());
        } else if (flag == "--warmup") {
            config.warmup = parse_duration(flag, value());
        } else if (flag == "--settle") {
            config.settle = parse_duration(flag, value());
        } else if (flag == "--drain") {
            config.drain = parse_duration(flag, value());
        } else if (flag == "--setup-timeout") {
            config.setup_timeout = parse_duration(flag, value());
        } else if (flag == "--peerjs-key") {
            config.peerjs_key = std::string(value());
        } else if (flag == "--server-pid") {
            config.server_pid = parse_number<int>(flag, value());
        } else if (flag == "--json") {
            json = true;
        } else {
            usage_error("unknown flag " + std::string(flag));
        }
    }
    if (!have_server)
        usage_error("--server is required");
    if (config.pairs < 1 || config.pairs > 5000 || config.window < 1 || config.window > 1000)
        usage_error("--pairs must be 1..5000 and --window 1..1000");
    if (config.max_connecting < 1 || config.idle_room_size < 1 || config.pad > (1 << 20))
        usage_error(
            "--max-connecting and --idle-room-size must be at least 1, --pad at most 1 MiB");
    raise_fd_limit();
    try {
        rtc::bench::SignalLoadResult result = rtc::bench::run_signal_load(config);
        if (json)
            std::printf("%s\n", rtc::bench::to_json(config, result).c_str());
        else
            print_text(config, result);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "signal_bench_loadgen: %s\n", e.what());
        return 1;
    }
    return 0;
}

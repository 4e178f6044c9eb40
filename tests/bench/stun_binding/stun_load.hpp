#pragma once
// A STUN Binding load generator over UDP: many connected sockets, batched I/O (sendmmsg and
// recvmmsg), random 96-bit transaction ids matched against the answers, duration-bounded.
// Two modes: a window of outstanding requests per socket (maximum throughput), or a fixed total
// rate. Single-threaded; run one per core and merge the results for more.
//
//   rtc::bench::LoadConfig config;
//   config.server = *rtc::util::Endpoint::parse("127.0.0.1:3478");
//   config.rate = 50'000;             // or leave 0 and set config.window
//   rtc::bench::LoadResult r = rtc::bench::run_load(config);
#include "latency_histogram.hpp"
#include "util/ip_address.hpp"

#include <chrono>
#include <cstdint>
#include <string>

namespace rtc::bench {

struct LoadConfig {
    util::Endpoint server;
    int sockets = 64;
    int window = 8;  // outstanding requests per socket in window mode
    double rate = 0; // total requests per second; > 0 selects rate mode
    std::chrono::milliseconds duration{3000};
    std::chrono::milliseconds timeout{500}; // unanswered this long: lost
    std::chrono::milliseconds drain{300};   // after the duration, wait this long for answers
};

struct LoadResult {
    uint64_t sent = 0;
    uint64_t answered = 0;     // success responses matching an outstanding request
    uint64_t lost = 0;         // timed out, or still unanswered after the drain
    uint64_t late = 0;         // answers to requests already counted lost
    uint64_t invalid = 0;      // not STUN, or an error response to one of ours
    uint64_t send_blocked = 0; // not sent: full socket buffer or table, or skipped after a stall
    uint64_t send_errors = 0;  // other send errors (e.g. ICMP port unreachable)
    double seconds = 0;        // the sending period
    LatencyHistogram latency;

    double answered_per_second() const { return seconds > 0 ? answered / seconds : 0; }
    double loss_ratio() const { return sent ? static_cast<double>(lost) / sent : 0; }
};

// Runs one load; throws std::runtime_error if the sockets cannot be set up.
LoadResult run_load(const LoadConfig& config);

// One JSON object (a line) describing config and result, for scripts.
std::string to_json(const LoadConfig& config, const LoadResult& result);

} // namespace rtc::bench

#pragma once
// `rtc-probe load stun`'s engine: STUN Binding requests over many UDP sockets with batched I/O
// (net::UdpBatchSocket: sendmmsg/recvmmsg), paced at a total rate or keeping a window of
// requests in flight per socket, for a bounded time and count. One thread.
#include "probe/load_stats.hpp"
#include "util/ip_address.hpp"

#include <chrono>
#include <cstdint>

namespace rtc::probe_tool {

struct LoadSettings {
    util::Endpoint server;
    int sockets = 4;
    int window = 0;  // requests in flight per socket; used when rate is 0
    double rate = 0; // requests per second over all sockets
    std::chrono::milliseconds duration{5000};
    std::chrono::milliseconds timeout{1000}; // unanswered this long: lost
    uint64_t count = 0;                      // stop sending after this many requests (0: none)
};

struct LoadReport {
    uint64_t sent = 0;
    uint64_t answered = 0;        // success responses to requests in flight
    uint64_t error_responses = 0; // Binding error responses to requests in flight
    uint64_t lost = 0;            // no answer within the timeout
    uint64_t late = 0;            // answers to requests already lost, or duplicates
    uint64_t invalid = 0;         // datagrams that are no Binding response
    uint64_t not_sent = 0;        // due but not sent: send queue or in-flight table full
    uint64_t send_errors = 0;     // refused by the kernel
    double seconds = 0;           // how long requests were sent
    probe::LatencyHistogram latency;

    double loss_ratio() const { return sent ? static_cast<double>(lost) / sent : 0; }
};

// Runs one load. Throws app::ToolError if the sockets cannot be opened.
LoadReport run_stun_load(const LoadSettings& settings);

} // namespace rtc::probe_tool

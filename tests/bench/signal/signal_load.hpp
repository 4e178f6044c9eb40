#pragma once
// A signaling load generator: many WebSocket clients (rtc::net::WsClient) on one io_context
// thread, speaking either rtc-signal's room protocol (schema v1) or the PeerJS server protocol,
// so both servers get the same load.
//
// Modes:
//   Idle    open `warmup` connections, read the server's RSS, open `idle` more, read it again:
//           memory per idle connection. Every connection must stay open to the end.
//   Window  `pairs` pairs of peers; each pair keeps `window` messages in flight, every received
//           message is answered at once (ping-pong): the server's maximum relay rate.
//   Rate    the same pairs; `rate` relayed messages per second in all (the first peer of a pair
//           sends at rate/2, its partner echoes each one): latency at a moderate load.
// Each relayed message carries its send time, so latency is one relay (sender to receiver
// through the server), measured on one clock.
//
//   rtc::bench::SignalLoadConfig config;
//   config.server = *rtc::util::Endpoint::parse("127.0.0.1:8080");
//   config.dialect = rtc::bench::Dialect::PeerJs;
//   rtc::bench::SignalLoadResult r = rtc::bench::run_signal_load(config);
#include "probe/load_stats.hpp"
#include "util/ip_address.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace rtc::bench {

using probe::LatencyHistogram; // rtc-probe load's histogram

enum class Dialect { Rooms, PeerJs };
enum class LoadMode { Idle, Window, Rate };

struct SignalLoadConfig {
    util::Endpoint server;
    Dialect dialect = Dialect::Rooms;
    LoadMode mode = LoadMode::Window;
    std::string peerjs_key = "peerjs";
    int pairs = 50;              // Window and Rate
    int window = 8;              // messages in flight per pair (Window)
    double rate = 10'000;        // relayed messages per second in all (Rate)
    int warmup_connections = 64; // Idle: opened before the baseline reading
    int idle = 2000;             // Idle: connections opened after it
    int idle_room_size = 2;      // Idle, rtc-signal: peers per room
    int max_connecting = 128;    // handshakes in progress at once
    int pad = 0;                 // extra payload bytes per message
    std::chrono::milliseconds duration{3000};
    std::chrono::milliseconds warmup{500}; // Window/Rate: load before measuring starts
    std::chrono::milliseconds settle{500}; // Idle: wait before each RSS reading
    std::chrono::milliseconds drain{1000}; // after the duration, wait this long for in-flight
    std::chrono::milliseconds setup_timeout{60'000}; // all connections open within this
    int server_pid = 0; // > 0: read its CPU time (Window/Rate) or RSS (Idle) from /proc
};

struct SignalLoadResult {
    int opened = 0;             // connections that reached welcome / OPEN
    int connect_failed = 0;     // closed or refused before that
    int dropped = 0;            // closed by the server or the network after opening, before the end
    uint64_t server_errors = 0; // error / ERROR / ID-TAKEN / EXPIRE / expired messages received
    std::string first_error;    // the first failure's text, for the report
    double setup_seconds = 0;   // from the first connect until all were open

    // Window / Rate (counted during the measured period only).
    double seconds = 0;
    uint64_t relayed = 0;        // bench messages received
    uint64_t sent_total = 0;     // every bench message sent, warm-up and drain included
    uint64_t received_total = 0; // every bench message received
    uint64_t send_refused = 0;   // WsClient refused (output buffer full)
    LatencyHistogram latency;
    double server_cpu_seconds = -1;  // utime+stime over the measured period, -1 if unknown
    double loadgen_cpu_seconds = -1; // this process's CPU time over the measured period

    // Idle.
    long rss_before_kb = -1;
    long rss_after_kb = -1;

    double relayed_per_second() const { return seconds > 0 ? relayed / seconds : 0; }
    uint64_t lost() const { return sent_total > received_total ? sent_total - received_total : 0; }
};

// Runs one load. Throws std::runtime_error only for an unusable configuration.
SignalLoadResult run_signal_load(const SignalLoadConfig& config);

std::string to_json(const SignalLoadConfig& config, const SignalLoadResult& result);

// The wire forms, exposed for the self-test (loadgen --self-test).
namespace wire {
// Target of the upgrade request (path and query) for peer `id` in `room`.
std::string target(const SignalLoadConfig& config, std::string_view room, std::string_view id,
                   std::string_view token);
// Replaces `out` with one message to `to` carrying `send_ns` (and `pad` bytes of padding).
void write_message(std::string& out, Dialect dialect, std::string_view to, int64_t send_ns,
                   int pad);
// The send time carried by a relayed bench message, or -1 if `text` is not one.
int64_t send_time_of(std::string_view text);
} // namespace wire

} // namespace rtc::bench

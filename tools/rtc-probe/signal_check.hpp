#pragma once
// `rtc-probe signal`'s engine: two WebSocket peers (net::WsClient) join one rtc-signal room,
// check the welcome (schema v1, man/rtc-signal.1.scd) and round-trip messages a -> b -> a.
#include <asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace rtc::probe_tool {

struct SignalSettings {
    std::string url; // ws(s)://HOST:PORT/ROOM without the query (the room is in the path)
    std::string room;
    std::string id_a, id_b;
    std::string token;     // sent as Authorization: Bearer
    bool insecure = false; // wss: accept any certificate
    std::string ca_file;   // wss: trust these PEM certificates (default: the system's)
    int messages = 10;
    std::chrono::milliseconds timeout{3000}; // per step: connect+join, each round trip
};

struct SignalResult {
    bool ok = false;
    std::string error;                          // one line when !ok
    int http_status = 0;                        // of a refused upgrade, else 101 or 0
    std::string server;                         // the address connected to
    std::chrono::nanoseconds connect{0};        // peer a: resolve, TCP, TLS and the upgrade
    std::chrono::nanoseconds join{0};           // peer a: from the upgrade to the welcome
    std::chrono::nanoseconds join_b{0};         // peer b: from the upgrade to the welcome
    std::vector<std::chrono::nanoseconds> rtts; // one per round trip a -> b -> a
};

// Runs the check on `io` (which it runs to completion). Never throws for network problems.
SignalResult run_signal_check(asio::io_context& io, const SignalSettings& settings);

} // namespace rtc::probe_tool

#pragma once
// `rtc-probe signal ws(s)://HOST:PORT/ROOM`: two peers join a room of rtc-signal, check the
// welcome and round-trip messages; reports connect time, join latency and message RTT.
#include "app/cli.hpp"
#include "app/log.hpp"

#include <chrono>
#include <string>

namespace rtc::probe_tool {

struct SignalOptions {
    bool json = false;
    std::chrono::milliseconds timeout{3000};
    std::string url;
    std::string token;   // --token
    std::string ca_file; // --ca
    bool insecure = false;
    int messages = 10; // --count
};

CLI::App* add_signal_command(app::ToolCli& cli, SignalOptions& options);

// 0 when both peers joined and every message came back, 1 otherwise (one line on stderr says
// why). Throws app::ConfigError for a URL that does not parse.
int run_signal(const SignalOptions& options, app::Logger& log);

} // namespace rtc::probe_tool

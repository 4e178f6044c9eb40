#pragma once
// `rtc-probe load stun URL`: a STUN Binding load run and its report (rate, loss, latency).
#include "app/cli.hpp"
#include "app/log.hpp"

#include <chrono>
#include <cstdint>
#include <string>

namespace rtc::probe_tool {

struct LoadStunOptions {
    bool json = false;
    std::string url;
    double rate = 0; // --rate; 0 with window 0: kDefaultLoadRate
    int window = 0;  // --window
    int sockets = 4;
    std::chrono::milliseconds duration{5000};
    std::chrono::milliseconds timeout{1000};
    uint64_t count = 0;    // --count, 0: no limit
    double max_loss = 1.0; // --max-loss, percent
};

inline constexpr double kDefaultLoadRate = 1000;

struct LoadCommands {
    CLI::App* load = nullptr; // `load`, the parent of `load stun` (and of later load kinds)
    CLI::App* stun = nullptr;
};

LoadCommands add_load_command(app::ToolCli& cli, LoadStunOptions& options);

// 0 when answers came and the loss is at most --max-loss, 1 otherwise. Throws
// app::ConfigError for a URL that does not parse or is not stun: over UDP.
int run_load_stun(const LoadStunOptions& options, app::Logger& log);

} // namespace rtc::probe_tool

#pragma once
// `rtc-probe load stun URL` and `rtc-probe load turn URL`: a load run and its report (rate,
// loss, latency): STUN Binding requests, or ChannelData through TURN allocations to an echo peer.
// `rtc-probe load sfu` (load_sfu.hpp): many WebRTC receivers for the SFU benchmark.
#include "load_sfu.hpp"

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

struct LoadTurnOptions {
    bool json = false;
    std::string url;
    std::string user;
    std::string password; // or $RTC_PROBE_PASSWORD
    int allocations = 10;
    std::string peer; // --peer HOST:PORT, an external echo peer
    std::size_t size = 100;
    double rate = 0;
    int window = 0;
    std::chrono::milliseconds duration{5000};
    std::chrono::milliseconds timeout{1000};
    uint64_t count = 0;
    double max_loss = 1.0;
};

inline constexpr double kDefaultLoadRate = 1000;

struct LoadCommands {
    CLI::App* load = nullptr; // `load`, the parent of `load stun`, `load turn` and `load sfu`
    CLI::App* stun = nullptr;
    CLI::App* turn = nullptr;
    CLI::App* sfu = nullptr;
};

LoadCommands add_load_command(app::ToolCli& cli, LoadStunOptions& stun, LoadTurnOptions& turn,
                              LoadSfuOptions& sfu);

// 0 when answers came and the loss is at most --max-loss, 1 otherwise. Throws
// app::ConfigError for a URL that does not parse or is not stun: over UDP.
int run_load_stun(const LoadStunOptions& options, app::Logger& log);

// 0 when every allocation was made, answers came back and the loss is at most --max-loss, 1
// otherwise. Throws app::ConfigError for a URL that is not turn: over UDP or missing
// credentials.
int run_load_turn(const LoadTurnOptions& options, app::Logger& log);

} // namespace rtc::probe_tool

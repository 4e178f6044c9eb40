#pragma once
// `rtc-probe turn URL`: authenticate, make two allocations, relay datagrams between them and
// report relayed addresses, round-trip times and loss; every failure explained in one line.
#include "probe_options.hpp"

#include "app/cli.hpp"
#include "app/log.hpp"

#include <cstdint>
#include <string>

namespace rtc::probe_tool {

struct TurnOptions {
    ClientOptions client;
    std::string url;
    std::string user;        // --user
    std::string password;    // --password, else $RTC_PROBE_PASSWORD
    std::string auth_secret; // --auth-secret (TURN REST)
    std::string realm;       // --realm: the realm expected in the challenge
    uint32_t count = 10;     // --count
    std::size_t size = 100;  // --size
    std::string ca_file;     // --ca
    bool insecure = false;
};

CLI::App* add_turn_command(app::ToolCli& cli, TurnOptions& options);

// 0 when datagrams went round trip through the relay, 1 otherwise (explained). Throws
// app::ConfigError for usage errors (bad URL, no credentials).
int run_turn(const TurnOptions& options, app::Logger& log);

} // namespace rtc::probe_tool

#pragma once
// `rtc-probe ice`: a full ICE agent (common/ice) over real UDP sockets. It writes its local
// description as one JSON line on stdout, reads the peer's from stdin, runs the connectivity
// checks and reports the selected pair.
#include "probe_options.hpp"

#include "app/cli.hpp"
#include "app/log.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace rtc::probe_tool {

inline constexpr std::chrono::milliseconds kDefaultIceTimeout{10000};

// rtc-probe ice [--stun URL] [--turn URL --user U --password P] ...
struct IceOptions {
    ClientOptions client{false, kDefaultIceTimeout};
    std::string stun_url;              // --stun
    std::string turn_url;              // --turn
    std::string user;                  // --user
    std::string password;              // --password
    bool controlling = false;          // --controlling (the default)
    bool controlled = false;           // --controlled
    std::vector<std::string> host_ips; // --host-ip (repeatable)
    bool relay_only = false;           // --relay-only
    bool signal_json = false;          // --signal-json
};

CLI::App* add_ice_command(app::ToolCli& cli, IceOptions& options);

// Exit 0 when a pair was selected, 1 when the checks failed or ran out of time. Throws
// app::ConfigError for bad flags and app::ToolError when a socket cannot be opened.
int run_ice(const IceOptions& options, app::Logger& log);

} // namespace rtc::probe_tool

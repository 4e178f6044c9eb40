#pragma once
// rtc-probe's subcommands and their flags (CLI.md "Clients"; the man page lists them all).
#include "app/cli.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace rtc::probe_tool {

inline constexpr std::chrono::milliseconds kDefaultTimeout{3000};
inline constexpr std::chrono::milliseconds kDefaultLifetimeMax{120000};

// A DURATION option ("500ms", "3s", "2m") within [min, max] (app::parse_duration).
void add_duration(CLI::App& command, const std::string& name, std::chrono::milliseconds& value,
                  std::chrono::milliseconds min, std::chrono::milliseconds max,
                  const std::string& description);

// Flags every subcommand takes.
struct ClientOptions {
    bool json = false;                                   // --json
    std::chrono::milliseconds timeout = kDefaultTimeout; // --timeout
};

// rtc-probe stun URL...
struct StunOptions {
    ClientOptions client;
    std::vector<std::string> urls;
    std::string ca_file; // --ca
    bool insecure = false;
};

// rtc-probe nat URL
struct NatOptions {
    ClientOptions client;
    std::string url;
    std::vector<std::string> alt_servers; // --alt-server
    bool hairpin = false;
    bool lifetime = false;
    std::chrono::milliseconds lifetime_max = kDefaultLifetimeMax;
};

CLI::App* add_stun_command(app::ToolCli& cli, StunOptions& options);
CLI::App* add_nat_command(app::ToolCli& cli, NatOptions& options);

} // namespace rtc::probe_tool

#pragma once
// `rtc-signal join URL`: the shell side of a room. Bridges the room to stdin/stdout as JSON
// lines, or with --sdp sends a bare SDP offer read from stdin and prints the bare answer, or
// with --exec connects a command's stdin/stdout to the room instead.
#include "app/cli.hpp"

#include <chrono>
#include <string>

namespace rtc::signal_tool {

struct JoinOptions {
    std::string url;       // ws://HOST:PORT/ROOM or wss://
    std::string id;        // --id PEER
    std::string token;     // --token TOKEN (JWT or static)
    std::string to;        // --to PEER: where --sdp sends its offer (default: the first peer)
    bool sdp = false;      // --sdp
    std::string exec;      // --exec CMD
    std::string origin;    // --origin ORIGIN
    std::string ca_file;   // --ca FILE: trust this certificate (wss)
    bool insecure = false; // --insecure: accept any certificate (wss with --cert auto)
    uint64_t timeout_ms = 30000;
};

// Adds the `join` subcommand; returns it so main can tell whether it was given.
CLI::App* add_join_command(app::ToolCli& cli, JoinOptions& options);

// Exit codes (man rtc-signal): 0 done (stdin ended, the command exited 0, the answer came),
// 1 connection, TLS, auth or refusal failure, timeout, or the command failed.
int run_join(const JoinOptions& options, app::Logger& log);

} // namespace rtc::signal_tool

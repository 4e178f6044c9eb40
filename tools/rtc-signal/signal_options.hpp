#pragma once
// rtc-signal's own server flags (beyond the shared ones of CLI.md) and what they resolve to.
#include "app/cli.hpp"
#include "signal/rooms.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace rtc::signal_tool {

// Environment variables read when the flags are not given (secrets need not sit in argv).
inline constexpr const char* kTokenSecretEnv = "RTC_SIGNAL_TOKEN_SECRET";
inline constexpr const char* kStaticTokenEnv = "RTC_SIGNAL_TOKEN";

struct SignalOptions {
    std::vector<std::string> token_secrets; // --token-secret SECRET (HS256 JWT)
    std::string token_secret_file;          // --token-secret-file FILE
    std::string static_token;               // --token TOKEN
    std::vector<std::string> allow_origins; // --allow-origin URL|*
    uint64_t max_message_size = 64 * 1024;
    uint64_t max_messages_per_second = 50;
    uint64_t max_peers_per_room = 50;
    uint64_t max_rooms = 10000;
    uint64_t max_connections = 10000;
    uint64_t ping_interval = 20; // seconds
    uint64_t resume_grace = 30;  // seconds
    uint64_t max_queued = 100;   // messages per away peer
    std::string web_root;        // --web-root DIR
    bool peerjs = false;         // --peerjs
    std::string peerjs_key = "peerjs";
    std::string redis;                        // --redis redis://HOST:PORT[/DB]
    std::string redis_prefix = "rtc-signal";  // --redis-prefix
    std::string node_id;                      // --node-id, default: random
};

void add_signal_options(app::ToolCli& cli, SignalOptions& options);

// The secrets of --token-secret, $RTC_SIGNAL_TOKEN_SECRET and --token-secret-file, in that
// order. Throws app::ConfigError; called at startup and on SIGHUP.
std::vector<std::string> load_token_secrets(const SignalOptions& options);

signal::RoomLimits room_limits(const SignalOptions& options);

// Throws app::ConfigError naming the flag when flags do not fit together.
void check_signal_options(const app::CommonOptions& common, const SignalOptions& options);

} // namespace rtc::signal_tool

#pragma once
// rtc-sfu's own server flags (beyond the shared ones of CLI.md).
#include "app/cli.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace rtc::sfu_tool {

// Read when --token is not given (a secret need not sit in argv).
inline constexpr const char* kTokenEnv = "RTC_SFU_TOKEN";
inline constexpr const char* kIceSecretEnv = "RTC_SFU_ICE_SERVER_SECRET";

struct SfuOptions {
    std::string token;                      // --token: Bearer token for WHIP/WHEP (RFC 9725 §4.5)
    std::vector<std::string> ice_servers;   // --ice-server URL: Link headers (RFC 9725 §4.6)
    std::string ice_server_secret;          // TURN REST secret: credentials for turn: URLs
    uint64_t ice_server_ttl = 86400;        // seconds those credentials stay valid
    std::vector<std::string> allow_origins; // --allow-origin: CORS (default *)
    uint64_t max_peers = 1000;              // publishers + subscribers
    uint64_t max_streams = 100;             // published streams
    uint64_t max_subscribers = 500;         // per stream
    uint64_t max_room_members = 50;         // per room (/ws/ROOM)
    uint64_t max_rooms = 100;               // rooms with at least one member
    uint64_t max_tracks = 128;              // audio/video sections of one PeerConnection
    uint64_t max_bitrate = 3'000'000;       // bit/s a publisher may send (its REMB)
    uint64_t consent_timeout = 30;          // seconds without a check: dropped (RFC 7675 §5.1)
    std::string record_dir;                 // --record DIR
};

void add_sfu_options(app::ToolCli& cli, SfuOptions& options);

// Throws app::ConfigError naming the flag when flags do not fit together.
void check_sfu_options(const app::CommonOptions& common, const SfuOptions& options);

} // namespace rtc::sfu_tool

#pragma once
// rtc-turn's own flags (beyond the shared ones of CLI.md) and what they resolve to: the TURN
// core's configuration, the credentials, the peer filter and the relay addresses.
#include "app/cli.hpp"
#include "turn/credentials.hpp"
#include "turn/peer_filter.hpp"
#include "turn/server.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rtc::turn_tool {

// Environment variable read when --auth-secret is not given (secrets need not sit in argv).
inline constexpr const char* kAuthSecretEnv = "RTC_TURN_AUTH_SECRET";

struct TurnOptions {
    std::string realm = "rtc-tools";
    std::vector<std::string> users;        // --user NAME:PASS
    std::string users_file;                // --users-file FILE
    std::vector<std::string> auth_secrets; // --auth-secret SECRET
    std::string auth_secret_file;          // --auth-secret-file FILE
    uint32_t nonce_lifetime = 600;         // --nonce-lifetime SECONDS
    std::vector<std::string> relay_ips;    // --relay-ip IP (one per family)
    std::vector<std::string> allow_peers;  // --allow-peer CIDR
    std::vector<std::string> deny_peers;   // --deny-peer CIDR
    bool allow_loopback_peers = false;
    uint64_t max_allocations = 100000;
    uint64_t max_allocations_per_user = 20;
    uint64_t max_permissions = 64;
    uint64_t max_bandwidth = 0;      // bytes/s per allocation, 0: unlimited
    uint32_t tcp_idle_timeout = 600; // --tcp-idle-timeout SECONDS (RFC 6062 data connections)
    std::string software;
};

void add_turn_options(app::ToolCli& cli, TurnOptions& options);

// The relay addresses: what sockets bind to and what XOR-RELAYED-ADDRESS advertises.
struct RelayAddresses {
    std::optional<util::IpAddress> v4_bind, v6_bind;
    std::optional<util::IpAddress> v4_advertised, v6_advertised;
};

// Everything checked before anything binds; throws app::ConfigError naming the flag.
struct TurnPlan {
    RelayAddresses relay;
    turn::PeerFilterConfig peers;
    turn::TurnServerConfig server; // nonce key filled in, credentials separate
    std::string realm;
    std::vector<std::string> secrets; // --auth-secret(s), the env variable and the file
    // RFC 6062: a bound peer/client connection pair with no byte either way for this long closes.
    std::chrono::seconds tcp_idle_timeout{600};
};
TurnPlan plan_turn(const app::CommonOptions& common, const TurnOptions& options);

// Reads --user and --users-file into a store for `realm` (null when there are none). Throws
// app::ConfigError on a bad file; used at startup and on SIGHUP.
std::shared_ptr<const turn::UserStore> load_users(const TurnOptions& options);
// --auth-secret values, then the lines of --auth-secret-file. Throws app::ConfigError.
std::vector<std::string> load_secrets(const TurnOptions& options);

} // namespace rtc::turn_tool

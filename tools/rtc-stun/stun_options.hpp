#pragma once
// rtc-stun's own flags (beyond the shared ones of CLI.md) and what they resolve to.
#include "app/cli.hpp"
#include "stun/binding_server.hpp"
#include "stun/rate_limiter.hpp"

#include <optional>
#include <string>
#include <vector>

namespace rtc::stun_tool {

struct StunOptions {
    std::string alt_address; // --alt-address IP
    uint16_t alt_port = 0;   // --alt-port PORT, 0: primary port + 1
    std::string software;    // --software TEXT
    uint32_t rate_limit = 0; // --rate-limit N responses/s per source, 0: off
};

// Adds the flags above to the tool's command line.
void add_stun_options(app::ToolCli& cli, StunOptions& options);

// The UDP addresses to serve, split into the RFC 5780 group (primary first) and the rest.
struct UdpPlan {
    // The primary address and the alternate IP when --alt-address is set.
    std::optional<util::Endpoint> rfc5780_primary;
    std::optional<util::IpAddress> rfc5780_alt_ip;
    uint16_t alt_port = 0; // 0: primary port + 1, once the primary port is known
    std::vector<util::Endpoint> plain;
};

// Checks the flags together; throws app::ConfigError naming the flag.
UdpPlan plan_udp(const app::CommonOptions& common, const StunOptions& options);

// The four RFC 5780 addresses for a bound primary port (BindingServerConfig::rfc5780 order).
std::array<util::Endpoint, 4> rfc5780_addresses(const UdpPlan& plan, uint16_t primary_port);

stun::BindingServerConfig binding_config(const StunOptions& options);
std::optional<stun::RateLimiterConfig> rate_limit_config(const StunOptions& options);

} // namespace rtc::stun_tool

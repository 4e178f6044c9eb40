#include "stun_options.hpp"

#include "app/exit_codes.hpp"
#include "app/option_values.hpp"
#include "crypto/random.hpp"

namespace rtc::stun_tool {

void add_stun_options(app::ToolCli& cli, StunOptions& options) {
    auto& app = cli.app();
    app.add_option("--alt-address", options.alt_address,
                   "Alternate IP of this host for RFC 5780 NAT behaviour discovery")
        ->check(app::validate::ip_address())
        ->type_name("IP");
    app.add_option("--alt-port", options.alt_port,
                   "Alternate port for RFC 5780 (default: the primary port + 1)")
        ->check(app::validate::number(1, 65535))
        ->type_name("PORT");
    cli.add_software(options.software);
    app.add_option("--rate-limit", options.rate_limit,
                   "Answer at most N requests per second from one source address (0: no limit)")
        ->check(app::validate::number(0, 1000000))
        ->type_name("N");
}

UdpPlan plan_udp(const app::CommonOptions& common, const StunOptions& options) {
    UdpPlan plan;
    std::optional<util::IpAddress> alt;
    if (!options.alt_address.empty())
        alt = util::IpAddress::parse(options.alt_address);
    for (const auto& url : common.listen) {
        if (url.scheme != app::Scheme::Udp)
            continue;
        if (alt && !plan.rfc5780_primary && url.host && url.host->family() == alt->family()) {
            if (*url.host == *alt)
                throw app::ConfigError("--alt-address: " + alt->to_string() +
                                           " is also the primary address",
                                       "give another address of this host, e.g. 127.0.0.2");
            plan.rfc5780_primary = util::Endpoint{*url.host, url.port};
            continue;
        }
        for (const auto& e : url.endpoints())
            plan.plain.push_back(e);
    }
    if (alt && !plan.rfc5780_primary)
        throw app::ConfigError(
            "--alt-address: needs a UDP listener on a specific address of the same family",
            "add e.g. --listen udp://127.0.0.1:3478");
    if (alt) {
        plan.rfc5780_alt_ip = alt;
        plan.alt_port = options.alt_port;
        if (plan.alt_port != 0 && plan.alt_port == plan.rfc5780_primary->port)
            throw app::ConfigError("--alt-port: equals the primary port",
                                   "leave it out to use the primary port + 1");
        if (plan.rfc5780_primary->port == 65535 && plan.alt_port == 0)
            throw app::ConfigError(
                "--alt-port: the primary port is 65535, so port + 1 does not exist",
                "give --alt-port");
    } else if (options.alt_port != 0) {
        throw app::ConfigError("--alt-port: needs --alt-address", "add --alt-address IP");
    }
    return plan;
}

std::array<util::Endpoint, 4> rfc5780_addresses(const UdpPlan& plan, uint16_t primary_port) {
    uint16_t alt_port = plan.alt_port ? plan.alt_port : static_cast<uint16_t>(primary_port + 1);
    const auto& a1 = plan.rfc5780_primary->address;
    const auto& a2 = *plan.rfc5780_alt_ip;
    // Index = alt_ip << 1 | alt_port (binding_server.hpp).
    return {util::Endpoint{a1, primary_port}, util::Endpoint{a1, alt_port},
            util::Endpoint{a2, primary_port}, util::Endpoint{a2, alt_port}};
}

stun::BindingServerConfig binding_config(const StunOptions& options) {
    stun::BindingServerConfig config;
    if (!options.software.empty())
        config.software = options.software;
    return config;
}

std::optional<stun::RateLimiterConfig> rate_limit_config(const StunOptions& options) {
    if (options.rate_limit == 0)
        return std::nullopt;
    stun::RateLimiterConfig config;
    config.rate = options.rate_limit;
    config.burst = options.rate_limit;
    config.seed = crypto::random_u64();
    return config;
}

} // namespace rtc::stun_tool

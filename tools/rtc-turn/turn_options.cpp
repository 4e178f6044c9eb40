#include "turn_options.hpp"

#include "app/exit_codes.hpp"
#include "app/option_values.hpp"
#include "crypto/random.hpp"

#include <fstream>
#include <sstream>

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

namespace rtc::turn_tool {

namespace {

std::string read_file(const std::string& flag, const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw app::ConfigError(flag + ": cannot read " + path, "check the file name");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

CLI::Validator user_spec() {
    return CLI::Validator(
        [](std::string& v) -> std::string {
            return turn::parse_user_spec(v) ? "" : "expected NAME:PASS";
        },
        "");
}

CLI::Validator cidr() {
    return CLI::Validator(
        [](std::string& v) -> std::string {
            return turn::Cidr::parse(v) ? "" : "\"" + v + "\" is not an address or CIDR prefix";
        },
        "");
}

// The first IPv4 address of an interface that is up and not loopback: where relays bind when
// neither --relay-ip nor a specific listen address says.
std::optional<util::IpAddress> first_interface_v4() {
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0)
        return std::nullopt;
    std::optional<util::IpAddress> found;
    for (ifaddrs* i = list; i && !found; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !(i->ifa_flags & IFF_UP) ||
            (i->ifa_flags & IFF_LOOPBACK))
            continue;
        const auto* in = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
        const auto* b = reinterpret_cast<const uint8_t*>(&in->sin_addr);
        found = util::IpAddress::v4({b[0], b[1], b[2], b[3]});
    }
    ::freeifaddrs(list);
    return found;
}

} // namespace

void add_turn_options(app::ToolCli& cli, TurnOptions& options) {
    auto& app = cli.app();
    app.add_option("--realm", options.realm, "Realm of the long-term credentials (RFC 8489 §9.2)")
        ->type_name("REALM");
    cli.secret(app.add_option("--user", options.users,
                              "A user NAME:PASS for long-term credentials (repeatable)")
                   ->check(user_spec())
                   ->type_name("NAME:PASS"),
               app::SecretForm::AfterColon);
    cli.file_value(app.add_option("--users-file", options.users_file,
                                  "File of users, one NAME:PASS a line, # comments; reloaded on "
                                  "SIGHUP")
                       ->check(app::validate::readable_file())
                       ->type_name("FILE"));
    cli.secret(app.add_option("--auth-secret", options.auth_secrets,
                              std::string("Shared secret for TURN REST credentials (repeatable "
                                          "for rotation; default: $") +
                                  kAuthSecretEnv + ")")
                   ->envname(kAuthSecretEnv)
                   ->type_name("SECRET"));
    cli.file_value(app.add_option("--auth-secret-file", options.auth_secret_file,
                                  "File of REST secrets, one a line, newest first; reloaded on "
                                  "SIGHUP")
                       ->check(app::validate::readable_file())
                       ->type_name("FILE"));
    app.add_option("--nonce-lifetime", options.nonce_lifetime,
                   "Seconds a NONCE stays valid before 438 Stale Nonce (default 600)")
        ->check(app::validate::number(10, 86400))
        ->type_name("SECONDS");
    app.add_option("--relay-ip", options.relay_ips,
                   "Local address relay sockets bind to, one per family (default: the listen "
                   "address, else the first interface address)")
        ->check(app::validate::ip_address())
        ->type_name("IP");
    app.add_option("--allow-peer", options.allow_peers,
                   "Allow peers in this range even if denied by default (repeatable)")
        ->check(cidr())
        ->type_name("CIDR");
    app.add_option("--deny-peer", options.deny_peers, "Refuse peers in this range (repeatable)")
        ->check(cidr())
        ->type_name("CIDR");
    app.add_flag("--allow-loopback-peers", options.allow_loopback_peers,
                 "Allow relaying to 127.0.0.0/8 and ::1 (testing only)");
    app.add_option("--max-allocations", options.max_allocations,
                   "Allocations held by the whole server (default 100000); beyond: 508")
        ->check(app::validate::number(1, 10000000))
        ->type_name("N");
    app.add_option("--max-allocations-per-user", options.max_allocations_per_user,
                   "Allocations one user may hold on the whole server (default 20); beyond: 486")
        ->check(app::validate::number(1, 1000000))
        ->type_name("N");
    app.add_option("--max-permissions", options.max_permissions,
                   "Permissions (and channels) per allocation (default 64); beyond: 508")
        ->check(app::validate::number(1, 4096))
        ->type_name("N");
    app.add_option("--max-bandwidth", options.max_bandwidth,
                   "Bytes per second one allocation may relay each way (default 0: unlimited)")
        ->check(app::validate::number(0, 100000000000ULL))
        ->type_name("BYTES");
    app.add_option("--tcp-idle-timeout", options.tcp_idle_timeout,
                   "Seconds an RFC 6062 data connection (a peer and client TCP pair) may carry "
                   "no byte either way before both close (default 600)")
        ->check(app::validate::number(1, 86400))
        ->type_name("SECONDS");
    cli.add_software(options.software);
}

std::shared_ptr<const turn::UserStore> load_users(const TurnOptions& options) {
    std::vector<turn::UserEntry> users;
    for (const auto& spec : options.users)
        users.push_back(*turn::parse_user_spec(spec)); // checked while parsing
    if (!options.users_file.empty()) {
        turn::UsersFileError error;
        if (!turn::parse_users_file(read_file("--users-file", options.users_file), users, error))
            throw app::ConfigError("--users-file: " + options.users_file + ":" +
                                       std::to_string(error.line) + ": " + error.message,
                                   "write one NAME:PASS a line");
    }
    if (users.empty())
        return nullptr;
    auto built = turn::UserStore::build(options.realm, std::move(users));
    if (!built.store)
        throw app::ConfigError("--user: " + built.error, "fix the user list");
    return built.store;
}

std::vector<std::string> load_secrets(const TurnOptions& options) {
    std::vector<std::string> secrets = options.auth_secrets;
    if (!options.auth_secret_file.empty()) {
        std::istringstream in(read_file("--auth-secret-file", options.auth_secret_file));
        std::string line;
        while (std::getline(in, line)) {
            while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
                line.pop_back();
            auto start = line.find_first_not_of(" \t");
            if (start == std::string::npos || line[start] == '#')
                continue;
            secrets.push_back(line.substr(start));
        }
    }
    if (secrets.size() > turn::kMaxRestSecrets)
        throw app::ConfigError("--auth-secret: more than " + std::to_string(turn::kMaxRestSecrets) +
                                   " secrets",
                               "keep the newest ones");
    return secrets;
}

TurnPlan plan_turn(const app::CommonOptions& common, const TurnOptions& options) {
    TurnPlan plan;
    plan.realm = options.realm;

    // Relay addresses: --relay-ip, else a specific listen address, else an interface address.
    for (const auto& text : options.relay_ips) {
        auto ip = *util::IpAddress::parse(text);
        auto& slot = ip.family() == util::Family::V4 ? plan.relay.v4_bind : plan.relay.v6_bind;
        if (slot)
            throw app::ConfigError("--relay-ip: two addresses of the same family",
                                   "give at most one IPv4 and one IPv6 address");
        slot = ip;
    }
    if (!plan.relay.v4_bind && !plan.relay.v6_bind) {
        for (const auto& url : common.listen)
            if (url.host && !plan.relay.v4_bind && url.host->family() == util::Family::V4)
                plan.relay.v4_bind = url.host;
        if (!plan.relay.v4_bind)
            plan.relay.v4_bind = first_interface_v4();
        if (!plan.relay.v4_bind)
            throw app::ConfigError("--relay-ip: no IPv4 interface address found",
                                   "give --relay-ip IP");
    }
    plan.relay.v4_advertised = plan.relay.v4_bind;
    plan.relay.v6_advertised = plan.relay.v6_bind;
    for (const auto& e : common.external_ips) {
        auto& bind =
            e.public_ip.family() == util::Family::V4 ? plan.relay.v4_bind : plan.relay.v6_bind;
        auto& adv = e.public_ip.family() == util::Family::V4 ? plan.relay.v4_advertised
                                                             : plan.relay.v6_advertised;
        if (e.private_ip)
            bind = e.private_ip;
        if (!bind)
            throw app::ConfigError("--external-ip: no relay address of its family",
                                   "add --relay-ip or use PUBLIC/PRIVATE");
        adv = e.public_ip;
    }

    for (const auto& text : options.allow_peers)
        plan.peers.allow.push_back(*turn::Cidr::parse(text));
    for (const auto& text : options.deny_peers)
        plan.peers.deny.push_back(*turn::Cidr::parse(text));
    plan.peers.allow_loopback = options.allow_loopback_peers;
    plan.tcp_idle_timeout = std::chrono::seconds(options.tcp_idle_timeout);

    auto& s = plan.server;
    s.nonce_lifetime = std::chrono::seconds(options.nonce_lifetime);
    crypto::random_bytes(s.nonce_key);
    s.ipv4_relay = plan.relay.v4_bind.has_value();
    s.ipv6_relay = plan.relay.v6_bind.has_value();
    s.limits.max_allocations = options.max_allocations;
    s.limits.max_allocations_per_user = options.max_allocations_per_user;
    s.limits.max_permissions_per_allocation = options.max_permissions;
    s.limits.max_channels_per_allocation = options.max_permissions;
    s.bandwidth_bytes_per_second = static_cast<double>(options.max_bandwidth);
    s.unauthorized_rate.seed = crypto::random_u64();
    if (!options.software.empty())
        s.software = options.software;

    // Credentials: checked now so that a bad file or realm is a usage error (exit 2).
    plan.secrets = load_secrets(options);
    auto users = load_users(options);
    if (!users && plan.secrets.empty())
        throw app::ConfigError("--user: no credentials configured",
                               "add --user NAME:PASS, --users-file or --auth-secret (an open "
                               "relay is not offered)");
    if (auto problem = turn::CredentialStore::validate({options.realm, users, plan.secrets}))
        throw app::ConfigError("--realm: " + *problem, "check --realm and the secrets");
    return plan;
}

} // namespace rtc::turn_tool

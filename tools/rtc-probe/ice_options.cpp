#include "ice_command.hpp"

#include "app/option_values.hpp"

namespace rtc::probe_tool {

CLI::App* add_ice_command(app::ToolCli& cli, IceOptions& o) {
    using std::chrono::milliseconds;
    auto* ice = cli.app().add_subcommand(
        "ice", "Run a full ICE agent (RFC 8445): write the local description as a JSON line on "
               "stdout, read the peer's from stdin, check connectivity and report the selected "
               "pair; exit 0 when connected");
    ice->fallthrough();
    ice->add_flag("--json", o.client.json,
                  "Print the result as one JSON document (with \"version\": 1) instead of text");
    ice->add_option_function<std::string>(
           "--timeout",
           [&o](const std::string& text) {
               if (auto d = app::parse_duration(text, milliseconds(500), std::chrono::minutes(10)))
                   o.client.timeout = *d;
           },
           "How long gathering and checks may take in all (default 10s)")
        ->check(app::validate::duration(milliseconds(500), std::chrono::minutes(10)))
        ->type_name("DURATION");
    ice->add_option("--stun", o.stun_url,
                    "stun:HOST[:PORT] to gather a server-reflexive candidate from (UDP)")
        ->type_name("URL");
    ice->add_option("--turn", o.turn_url,
                    "turn:HOST[:PORT][?transport=tcp] to allocate a relayed candidate on (UDP to "
                    "the server unless transport=tcp; needs --user and --password)")
        ->type_name("URL");
    ice->add_option("--user", o.user, "TURN user name (long-term credentials)")->type_name("NAME");
    cli.secret(ice->add_option("--password", o.password, "TURN password")->type_name("PASS"));
    auto* controlling =
        ice->add_flag("--controlling", o.controlling, "Take the controlling role (the default)");
    auto* controlled = ice->add_flag("--controlled", o.controlled,
                                     "Take the controlled role (answer, let the peer nominate)");
    controlling->excludes(controlled);
    ice->add_option("--host-ip", o.host_ips,
                    "Gather host candidates on this address only (repeatable; default: every "
                    "non-loopback IPv4 interface address, else 127.0.0.1)")
        ->type_name("IP")
        ->check(app::validate::ip_address())
        ->allow_extra_args(false);
    ice->add_flag("--relay-only", o.relay_only,
                  "Offer and check relayed candidates only (needs --turn)");
    ice->add_flag("--signal-json", o.signal_json,
                  "Wrap the description as a signaling message {\"type\":\"message\",\"data\":"
                  "{...}} for rtc-signal join --exec, and print the result on stderr");
    return ice;
}

} // namespace rtc::probe_tool

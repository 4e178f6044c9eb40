#include "probe_options.hpp"

#include "app/option_values.hpp"

namespace rtc::probe_tool {

using std::chrono::milliseconds;

void add_duration(CLI::App& command, const std::string& name, milliseconds& value, milliseconds min,
                  milliseconds max, const std::string& description) {
    command
        .add_option_function<std::string>(
            name,
            [&value, min, max](const std::string& text) {
                if (auto d = app::parse_duration(text, min, max))
                    value = *d;
            },
            description)
        ->check(app::validate::duration(min, max))
        ->type_name("DURATION");
}

namespace {

void add_client_options(CLI::App& command, ClientOptions& o) {
    command.fallthrough(); // the tool's own flags (--log-level) work after the subcommand too
    command.add_flag("--json", o.json,
                     "Print one JSON document (with \"version\": 1) instead of text");
    add_duration(command, "--timeout", o.timeout, milliseconds(100), std::chrono::minutes(10),
                 "How long to wait for the answer to one request, retransmissions included "
                 "(default 3s)");
}

} // namespace

CLI::App* add_stun_command(app::ToolCli& cli, StunOptions& o) {
    auto* stun = cli.app().add_subcommand(
        "stun", "Send a STUN Binding to each server (UDP, TCP or TLS) and report the mapped "
                "address and round-trip time; exit 0 when every server answered");
    stun->add_option("url", o.urls,
                     "stun:HOST[:PORT][?transport=udp|tcp] or stuns:HOST[:PORT] (RFC 7064)")
        ->required()
        ->type_name("URL");
    add_client_options(*stun, o.client);
    cli.file_value(stun->add_option("--ca", o.ca_file,
                                    "Trust the PEM certificates in FILE for stuns: (default: the "
                                    "system's CA bundle)")
                       ->check(app::validate::readable_file())
                       ->type_name("FILE"));
    stun->add_flag("--insecure", o.insecure,
                   "Accept any server certificate (a server with --cert auto)");
    return stun;
}

CLI::App* add_nat_command(app::ToolCli& cli, NatOptions& o) {
    auto* nat = cli.app().add_subcommand(
        "nat", "Find the NAT's mapping and filtering behaviour (RFC 5780) with a STUN server "
               "over UDP; the exit code encodes the verdict");
    nat->add_option("url", o.url, "stun:HOST[:PORT] of an RFC 5780 server (two addresses)")
        ->required()
        ->type_name("URL");
    nat->add_option("--alt-server", o.alt_servers,
                    "Another STUN server whose mapped address is compared for the mapping "
                    "verdict; repeatable")
        ->type_name("URL")
        ->allow_extra_args(false)
        ->default_str("");
    add_client_options(*nat, o.client);
    nat->add_flag("--hairpin", o.hairpin,
                  "Also test hairpinning: a second socket sends to the first one's mapped address");
    nat->add_flag("--lifetime", o.lifetime,
                  "Also measure how long an idle UDP binding lives (takes up to a few times the "
                  "lifetime)");
    add_duration(*nat, "--lifetime-max", o.lifetime_max, milliseconds(1000), std::chrono::hours(1),
                 "Longest binding lifetime --lifetime looks for (default 120s)");
    return nat;
}

} // namespace rtc::probe_tool

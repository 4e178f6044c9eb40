// rtc-probe: the client side of a WebRTC deployment: STUN reachability and NAT behaviour
// discovery (RFC 5780), with verdicts encoded in exit codes for scripts.
#include "nat_command.hpp"
#include "probe_options.hpp"
#include "stun_command.hpp"

#include "app/cli.hpp"
#include "app/run_main.hpp"

#include <csignal>

namespace {

int run(int argc, char** argv) {
    using namespace rtc;
    app::ToolCli cli("rtc-probe", "Check a WebRTC deployment from the client side: STUN servers "
                                  "and the NAT's behaviour (RFC 5780)");
    cli.add_logging();
    probe_tool::StunOptions stun;
    probe_tool::NatOptions nat;
    auto* stun_command = probe_tool::add_stun_command(cli, stun);
    auto* nat_command = probe_tool::add_nat_command(cli, nat);
    if (auto exit_code = cli.parse(argc, argv))
        return *exit_code;

    app::Logger log(cli.tool_name(), cli.options().log_level, cli.options().log_format);
    std::signal(SIGPIPE, SIG_IGN); // a closed stdout or TCP peer is an error, not a signal
    if (stun_command->parsed())
        return probe_tool::run_stun(stun, log);
    if (nat_command->parsed())
        return probe_tool::run_nat(nat, log);
    throw app::ConfigError("a subcommand is required: stun or nat",
                           "see rtc-probe --help, e.g. rtc-probe nat stun:stun.example.org");
}

} // namespace

int main(int argc, char** argv) {
    return rtc::app::run_main("rtc-probe", [&] { return run(argc, argv); });
}

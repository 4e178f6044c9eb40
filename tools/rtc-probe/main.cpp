// rtc-probe: the client side of a WebRTC deployment: STUN reachability and NAT behaviour
// discovery (RFC 5780), with verdicts encoded in exit codes for scripts.
#include "ice_command.hpp"
#include "load_command.hpp"
#include "nat_command.hpp"
#include "probe_options.hpp"
#include "signal_command.hpp"
#include "stun_command.hpp"
#include "turn_command.hpp"

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
    probe_tool::IceOptions ice;
    auto* ice_command = probe_tool::add_ice_command(cli, ice);
    probe_tool::SignalOptions signal_options;
    auto* signal_command = probe_tool::add_signal_command(cli, signal_options);
    probe_tool::LoadStunOptions load_stun;
    probe_tool::LoadTurnOptions load_turn;
    probe_tool::LoadSfuOptions load_sfu;
    auto load_commands = probe_tool::add_load_command(cli, load_stun, load_turn, load_sfu);
    probe_tool::TurnOptions turn;
    auto* turn_command = probe_tool::add_turn_command(cli, turn);
    if (auto exit_code = cli.parse(argc, argv))
        return *exit_code;

    app::Logger log(cli.tool_name(), cli.options().log_level, cli.options().log_format);
    std::signal(SIGPIPE, SIG_IGN); // a closed stdout or TCP peer is an error, not a signal
    if (stun_command->parsed())
        return probe_tool::run_stun(stun, log);
    if (nat_command->parsed())
        return probe_tool::run_nat(nat, log);
    if (ice_command->parsed())
        return probe_tool::run_ice(ice, log);
    if (signal_command->parsed())
        return probe_tool::run_signal(signal_options, log);
    if (load_commands.stun->parsed())
        return probe_tool::run_load_stun(load_stun, log);
    if (load_commands.turn->parsed())
        return probe_tool::run_load_turn(load_turn, log);
    if (load_commands.sfu->parsed())
        return probe_tool::run_load_sfu(load_sfu, log);
    if (turn_command->parsed())
        return probe_tool::run_turn(turn, log);
    throw app::ConfigError("a subcommand is required: stun, nat, turn, signal, ice or load",
                           "see rtc-probe --help, e.g. rtc-probe nat stun:stun.example.org");
}

} // namespace

int main(int argc, char** argv) {
    return rtc::app::run_main("rtc-probe", [&] { return run(argc, argv); });
}

// rtc-turn: TURN relay (RFC 8656) over UDP, TCP, TLS and DTLS; also answers STUN Binding.
#include "service.hpp"
#include "turn_options.hpp"

#include "app/cli.hpp"
#include "app/run_main.hpp"

namespace {

int run(int argc, char** argv) {
    using namespace rtc;
    app::ToolCli cli("rtc-turn", "TURN relay (RFC 8656) over UDP, TCP, TLS and DTLS");
    cli.add_listen({.default_scheme = app::Scheme::Udp,
                    .schemes = {{app::Scheme::Udp, 3478},
                                {app::Scheme::Tcp, 3478},
                                {app::Scheme::Tls, 5349},
                                {app::Scheme::Dtls, 5349}},
                    .defaults = {"udp://*:3478", "tcp://*:3478"}});
    cli.add_tls();
    cli.add_external_ip();
    cli.add_port_range({49152, 65535});
    cli.add_server_options();
    turn_tool::TurnOptions options;
    turn_tool::add_turn_options(cli, options);
    cli.add_check([&](const app::CommonOptions& common) { turn_tool::plan_turn(common, options); });
    if (auto exit_code = cli.parse(argc, argv))
        return *exit_code;

    app::Logger log(cli.tool_name(), cli.options().log_level, cli.options().log_format);
    turn_tool::TurnService service(cli.options(), options, log);
    return service.run();
}

} // namespace

int main(int argc, char** argv) {
    return rtc::app::run_main("rtc-turn", [&] { return run(argc, argv); });
}

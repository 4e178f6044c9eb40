// rtc-signal: HTTPS + secure WebSocket signaling server (rooms, JWT, PeerJS, Redis scale-out),
// and `rtc-signal join`, a client that bridges a room to a shell.
#include "join_client.hpp"
#include "service.hpp"
#include "signal_options.hpp"

#include "app/cli.hpp"
#include "app/run_main.hpp"

namespace {

int run(int argc, char** argv) {
    using namespace rtc;
    app::ToolCli cli("rtc-signal",
                     "Signaling server: rooms over HTTPS and secure WebSocket, PeerJS protocol, "
                     "Redis scale-out; `join` bridges a room to stdin/stdout");
    cli.add_listen({.default_scheme = app::Scheme::Http,
                    .schemes = {{app::Scheme::Http, 8080}, {app::Scheme::Https, 8443}},
                    .defaults = {"http://*:8080"}});
    cli.add_tls();
    cli.add_config();
    cli.add_logging();
    cli.add_metrics();
    signal_tool::SignalOptions options;
    signal_tool::add_signal_options(cli, options);
    signal_tool::JoinOptions join;
    auto* join_command = signal_tool::add_join_command(cli, join);
    cli.add_check([&](const app::CommonOptions& common) {
        signal_tool::check_signal_options(common, options);
    });
    if (auto exit_code = cli.parse(argc, argv))
        return *exit_code;

    app::Logger log(cli.tool_name(), cli.options().log_level, cli.options().log_format);
    if (join_command->parsed())
        return signal_tool::run_join(join, log);
    signal_tool::SignalService service(cli.options(), options, log);
    return service.run();
}

} // namespace

int main(int argc, char** argv) {
    return rtc::app::run_main("rtc-signal", [&] { return run(argc, argv); });
}

// rtc-stun: STUN server (RFC 8489) with NAT behaviour discovery (RFC 5780).
#include "service.hpp"
#include "stun_options.hpp"

#include "app/cli.hpp"
#include "app/run_main.hpp"

namespace {

int run(int argc, char** argv) {
    using namespace rtc;
    app::ToolCli cli("rtc-stun", "STUN server (RFC 8489) with NAT behaviour discovery (RFC 5780)");
    cli.add_listen({.default_scheme = app::Scheme::Udp,
                    .schemes = {{app::Scheme::Udp, 3478},
                                {app::Scheme::Tcp, 3478},
                                {app::Scheme::Tls, 5349},
                                {app::Scheme::Dtls, 5349}},
                    .defaults = {"udp://*:3478", "tcp://*:3478"}});
    cli.add_tls();
    cli.add_server_options();
    stun_tool::StunOptions options;
    stun_tool::add_stun_options(cli, options);
    cli.add_check([&](const app::CommonOptions& common) { stun_tool::plan_udp(common, options); });
    if (auto exit_code = cli.parse(argc, argv))
        return *exit_code;

    app::Logger log(cli.tool_name(), cli.options().log_level, cli.options().log_format);
    stun_tool::StunService service(cli.options(), options, log);
    return service.run();
}

} // namespace

int main(int argc, char** argv) {
    return rtc::app::run_main("rtc-stun", [&] { return run(argc, argv); });
}

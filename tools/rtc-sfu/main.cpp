// rtc-sfu: a selective forwarding media server. One UDP port for every peer (ICE-lite,
// DTLS-SRTP), WHIP to publish and WHEP to watch over HTTP(S).
#include "service.hpp"
#include "sfu_options.hpp"

#include "app/cli.hpp"
#include "app/run_main.hpp"

namespace {

int run(int argc, char** argv) {
    using namespace rtc;
    app::ToolCli cli("rtc-sfu",
                     "Media server: WHIP ingest and WHEP egress, ICE-lite and DTLS-SRTP on one "
                     "UDP port, RTP/RTCP forwarding with NACK and PLI");
    cli.add_listen({.default_scheme = app::Scheme::Http,
                    .schemes = {{app::Scheme::Http, 8080},
                                {app::Scheme::Https, 8443},
                                {app::Scheme::Udp, 7882},
                                {app::Scheme::Tcp, 7881}},
                    .defaults = {"http://*:8080", "udp://*:7882"}});
    cli.add_tls();
    cli.add_external_ip();
    cli.add_config();
    cli.add_logging();
    cli.add_metrics();
    sfu_tool::SfuOptions options;
    sfu_tool::add_sfu_options(cli, options);
    cli.add_check(
        [&](const app::CommonOptions& common) { sfu_tool::check_sfu_options(common, options); });
    if (auto exit_code = cli.parse(argc, argv))
        return *exit_code;

    app::Logger log(cli.tool_name(), cli.options().log_level, cli.options().log_format);
    sfu_tool::SfuService service(cli.options(), options, log);
    return service.run();
}

} // namespace

int main(int argc, char** argv) {
    return rtc::app::run_main("rtc-sfu", [&] { return run(argc, argv); });
}

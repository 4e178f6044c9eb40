#include "sfu_options.hpp"

#include "app/exit_codes.hpp"
#include "app/option_values.hpp"

#include <filesystem>

namespace rtc::sfu_tool {

namespace {

CLI::Validator ice_server_url() {
    return CLI::Validator(
        [](std::string& v) -> std::string {
            for (const char* scheme : {"stun:", "stuns:", "turn:", "turns:"})
                if (v.rfind(scheme, 0) == 0 && v.size() > std::string_view(scheme).size())
                    return "";
            return "\"" + v + "\" is not a stun:, stuns:, turn: or turns: URL";
        },
        "");
}

} // namespace

void add_sfu_options(app::ToolCli& cli, SfuOptions& o) {
    auto& app = cli.app();
    cli.secret(app.add_option("--token", o.token,
                              "Bearer token WHIP and WHEP clients must present (RFC 9725 §4.5)")
                   ->envname(kTokenEnv)
                   ->type_name("TOKEN"));
    app.add_option("--ice-server", o.ice_servers,
                   "STUN/TURN URL offered to clients in Link headers (repeatable)")
        ->check(ice_server_url())
        ->type_name("URL");
    cli.secret(app.add_option("--ice-server-secret", o.ice_server_secret,
                              "TURN REST secret (rtc-turn's --auth-secret): each turn:/turns: "
                              "Link header gets a username and credential made with it")
                   ->envname(kIceSecretEnv)
                   ->type_name("SECRET"));
    app.add_option("--ice-server-ttl", o.ice_server_ttl,
                   "Seconds the --ice-server-secret credentials stay valid (default 86400)")
        ->check(app::validate::number(60, 30 * 86400))
        ->type_name("SECONDS");
    app.add_option("--allow-origin", o.allow_origins,
                   "Browser origin allowed to call the HTTP API (repeatable; default any)")
        ->type_name("ORIGIN");
    app.add_option("--max-peers", o.max_peers,
                   "Publishers and subscribers on the server (default 1000); beyond: 503")
        ->check(app::validate::number(1, 1000000))
        ->type_name("N");
    app.add_option("--max-streams", o.max_streams, "Published streams (default 100); beyond: 503")
        ->check(app::validate::number(1, 1000000))
        ->type_name("N");
    app.add_option("--max-subscribers", o.max_subscribers,
                   "Subscribers of one stream (default 500); beyond: 503")
        ->check(app::validate::number(1, 1000000))
        ->type_name("N");
    app.add_option("--max-room-members", o.max_room_members,
                   "Members of one room on /ws/ROOM (default 50); beyond: closed with 1013")
        ->check(app::validate::number(1, 100000))
        ->type_name("N");
    app.add_option("--max-rooms", o.max_rooms,
                   "Rooms on /ws/ROOM with at least one member (default 100); beyond: closed "
                   "with 1013")
        ->check(app::validate::number(1, 1000000))
        ->type_name("N");
    app.add_option("--max-tracks", o.max_tracks,
                   "Audio and video sections in one offer, a room member's receiving "
                   "PeerConnection included (default 128); beyond: 400")
        ->check(app::validate::number(1, 4096))
        ->type_name("N");
    app.add_option("--max-bitrate", o.max_bitrate,
                   "Bits per second a publisher may send, all its video together (default "
                   "3000000), told to it by REMB")
        ->check(app::validate::number(30'000, 1'000'000'000))
        ->type_name("BPS");
    app.add_option("--consent-timeout", o.consent_timeout,
                   "Seconds without a connectivity check before a peer is dropped (default 30, "
                   "RFC 7675)")
        ->check(app::validate::number(5, 3600))
        ->type_name("SECONDS");
    app.add_option("--record", o.record_dir,
                   "Directory where every published track is recorded as it arrives (Opus to "
                   "Ogg, VP8/VP9 to WebM)")
        ->type_name("DIR");
}

void check_sfu_options(const app::CommonOptions& common, const SfuOptions& options) {
    bool media = false;
    bool http = false;
    for (const auto& url : common.listen) {
        media |= url.scheme == app::Scheme::Udp || url.scheme == app::Scheme::Tcp;
        http |= url.scheme == app::Scheme::Http || url.scheme == app::Scheme::Https;
    }
    if (!media)
        throw app::ConfigError("--listen: no udp:// (or tcp://) address for media",
                               "add e.g. --listen udp://*:7882");
    if (!http)
        throw app::ConfigError("--listen: no http:// or https:// address for WHIP/WHEP",
                               "add e.g. --listen http://*:8080");
    if (!options.record_dir.empty() && !std::filesystem::is_directory(options.record_dir))
        throw app::ConfigError("--record: " + options.record_dir + " is not a directory",
                               "create it first");
}

} // namespace rtc::sfu_tool

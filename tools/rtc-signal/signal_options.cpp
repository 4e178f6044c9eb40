#include "signal_options.hpp"

#include "app/exit_codes.hpp"
#include "app/option_values.hpp"
#include "app/secret_file.hpp"

#include <filesystem>

namespace rtc::signal_tool {

namespace {

CLI::Validator origin_value() {
    return CLI::Validator(
        [](std::string& v) -> std::string {
            if (v == "*")
                return "";
            const auto scheme_end = v.find("://");
            if (scheme_end == std::string::npos || scheme_end == 0 ||
                v.size() == scheme_end + 3 || v.back() == '/')
                return "\"" + v + "\" is not an origin: expected SCHEME://HOST[:PORT] or *";
            return "";
        },
        "");
}

CLI::Validator redis_url() {
    return CLI::Validator(
        [](std::string& v) -> std::string {
            return v.rfind("redis://", 0) == 0 && v.size() > 8
                       ? ""
                       : "\"" + v + "\" is not a redis://HOST:PORT URL";
        },
        "");
}

} // namespace

void add_signal_options(app::ToolCli& cli, SignalOptions& o) {
    auto& app = cli.app();
    cli.secret(app.add_option("--token-secret", o.token_secrets,
                              "Secret of HS256 JWTs a peer must present (repeatable for "
                              "rotation)")
                   ->envname(kTokenSecretEnv)
                   ->type_name("SECRET"));
    cli.file_value(app.add_option("--token-secret-file", o.token_secret_file,
                                  "File of JWT secrets, one a line; reloaded on SIGHUP")
                       ->check(app::validate::readable_file())
                       ->type_name("FILE"));
    cli.secret(app.add_option("--token", o.static_token, "A static token every peer must present")
                   ->envname(kStaticTokenEnv)
                   ->type_name("TOKEN"));
    app.add_option("--allow-origin", o.allow_origins,
                   "Browser origin allowed to connect (repeatable; * for any). Default: same "
                   "origin only when no token is required, any origin when one is")
        ->check(origin_value())
        ->type_name("ORIGIN");
    app.add_option("--max-message-size", o.max_message_size,
                   "Largest message in bytes (default 65536); beyond: close 1009")
        ->check(app::validate::number(256, 16 * 1024 * 1024))
        ->type_name("BYTES");
    app.add_option("--max-messages-per-second", o.max_messages_per_second,
                   "Messages one connection may send per second (default 50)")
        ->check(app::validate::number(1, 1000000))
        ->type_name("N");
    app.add_option("--max-peers-per-room", o.max_peers_per_room,
                   "Peers in one room (default 50); beyond: 403")
        ->check(app::validate::number(1, 100000))
        ->type_name("N");
    app.add_option("--max-rooms", o.max_rooms, "Rooms on the server (default 10000); beyond: 403")
        ->check(app::validate::number(1, 10000000))
        ->type_name("N");
    app.add_option("--max-connections", o.max_connections,
                   "Open connections (default 10000); beyond: refused")
        ->check(app::validate::number(1, 10000000))
        ->type_name("N");
    app.add_option("--ping-interval", o.ping_interval,
                   "Seconds of silence before the server pings a peer (default 20, under common "
                   "proxy idle timeouts); silent twice as long: closed")
        ->check(app::validate::number(1, 3600))
        ->type_name("SECONDS");
    app.add_option("--resume-grace", o.resume_grace,
                   "Seconds a dropped peer may resume its id and get what was queued (default 30)")
        ->check(app::validate::number(0, 3600))
        ->type_name("SECONDS");
    app.add_option("--max-queued", o.max_queued,
                   "Messages queued for a dropped peer (default 100)")
        ->check(app::validate::number(0, 100000))
        ->type_name("N");
    cli.file_value(app.add_option("--web-root", o.web_root, "Serve static files from DIR")
                       ->type_name("DIR"));
    app.add_flag("--peerjs", o.peerjs,
                 "Speak the PeerJS server protocol too (/peerjs, GET /KEY/id) for unmodified "
                 "PeerJS clients");
    app.add_option("--peerjs-key", o.peerjs_key, "The PeerJS API key (default peerjs)")
        ->type_name("KEY");
    // The URL may carry a password (redis://:PASSWORD@HOST).
    cli.secret(app.add_option("--redis", o.redis,
                              "Share rooms with other rtc-signal processes through Redis pub/sub")
                   ->check(redis_url())
                   ->type_name("redis://HOST:PORT[/DB]"));
    app.add_option("--redis-prefix", o.redis_prefix,
                   "Prefix of the Redis channel (default rtc-signal)")
        ->type_name("PREFIX");
    app.add_option("--node-id", o.node_id,
                   "Name of this process among the servers sharing Redis (default: random)")
        ->type_name("NAME");
}

std::vector<std::string> load_token_secrets(const SignalOptions& o) {
    std::vector<std::string> secrets = o.token_secrets;
    if (!o.token_secret_file.empty())
        for (auto& s : app::read_flag_file_lines("--token-secret-file", o.token_secret_file))
            secrets.push_back(std::move(s));
    for (const auto& s : secrets)
        if (s.size() < 16)
            throw app::ConfigError("--token-secret: a secret is shorter than 16 bytes",
                                   "use a long random secret, e.g. openssl rand -hex 32");
    return secrets;
}

signal::RoomLimits room_limits(const SignalOptions& o) {
    signal::RoomLimits limits;
    limits.max_rooms = o.max_rooms;
    limits.max_peers_per_room = o.max_peers_per_room;
    limits.max_message = o.max_message_size;
    limits.messages_per_second = static_cast<double>(o.max_messages_per_second);
    limits.message_burst = static_cast<double>(o.max_messages_per_second) * 4;
    limits.resume_grace = std::chrono::seconds(o.resume_grace);
    limits.max_queued_messages = o.max_queued;
    return limits;
}

void check_signal_options(const app::CommonOptions& common, const SignalOptions& o) {
    if (!o.web_root.empty() && !std::filesystem::is_directory(o.web_root))
        throw app::ConfigError("--web-root: " + o.web_root + " is not a directory",
                               "give a directory of static files");
    if (!o.redis_prefix.empty() && o.redis_prefix.find_first_of(" \r\n") != std::string::npos)
        throw app::ConfigError("--redis-prefix: must not hold spaces or line breaks");
    if (o.peerjs && o.peerjs_key.empty())
        throw app::ConfigError("--peerjs-key: must not be empty");
    load_token_secrets(o); // reports unreadable files and short secrets now
    (void)common;
}

} // namespace rtc::signal_tool

#include "turn_command.hpp"

#include "client_tls.hpp"
#include "resolve.hpp"
#include "turn_probe.hpp"

#include "app/exit_codes.hpp"
#include "app/option_values.hpp"
#include "app/quote.hpp"
#include "app/secret_file.hpp"
#include "tls/context.hpp"
#include "turn/credentials.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace rtc::probe_tool {

namespace {

constexpr const char* kSystemCaBundle = "/etc/ssl/certs/ca-certificates.crt";
constexpr const char* kPasswordVariable = "RTC_PROBE_PASSWORD";
// TURN REST credentials are made valid for this long (draft-uberti-behave-turn-rest-00 §2.2).
constexpr std::chrono::seconds kRestValidity{3600};

std::string ms_text(probe::Clock::duration d) {
    char buf[32];
    const double ms =
        static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(d).count()) /
        1000.0;
    std::snprintf(buf, sizeof buf, ms < 10 ? "%.2f" : "%.0f", ms);
    return buf;
}

double ms_value(probe::Clock::duration d) {
    return static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(d).count()) /
           1000.0;
}

void field(std::string& out, std::string_view label, const std::string& value) {
    out += "  ";
    out += label;
    out.append(label.size() < 16 ? 16 - label.size() : 1, ' ');
    out += value;
    out += '\n';
}

nlohmann::ordered_json endpoint_json(const std::optional<util::Endpoint>& e) {
    return e ? nlohmann::ordered_json(e->to_string()) : nlohmann::ordered_json(nullptr);
}

std::string report_text(const std::string& url, const std::string& transport,
                        const util::Endpoint& server, const TurnReport& r) {
    std::string out = url + " (" + transport + " " + server.to_string() + ")\n";
    if (!r.realm.empty())
        field(out, "realm", app::quote_value(r.realm));
    for (int i = 0; i < 2; ++i)
        if (r.relayed[i])
            field(out, i == 0 ? "relayed 1" : "relayed 2",
                  r.relayed[i]->to_string() +
                      (r.mapped[i] ? " (mapped " + r.mapped[i]->to_string() + ")" : ""));
    if (r.sent > 0) {
        char loss[32];
        std::snprintf(loss, sizeof loss, "%.1f%%", r.loss_percent);
        field(out, "relayed data",
              std::to_string(r.received) + "/" + std::to_string(r.sent) +
                  " datagrams back (ChannelData one way, Send/Data the other), loss " + loss);
    }
    if (r.rtt)
        field(out, "rtt",
              "min " + ms_text(r.rtt->min) + " / median " + ms_text(r.rtt->median) + " / max " +
                  ms_text(r.rtt->max) + " ms");
    if (r.relayed[0])
        field(out, "released", r.released ? "yes (Refresh lifetime 0)" : "NO: allocations left");
    if (!r.ok())
        field(out, "FAILED", r.error);
    return out;
}

nlohmann::ordered_json report_json(const std::string& url, const std::string& transport,
                                   const std::optional<util::Endpoint>& server,
                                   const TurnReport& r) {
    nlohmann::ordered_json j;
    j["version"] = 1;
    j["command"] = "turn";
    j["url"] = url;
    j["transport"] = transport;
    j["server"] = endpoint_json(server);
    j["ok"] = r.ok();
    j["code"] = r.ok() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.code);
    j["error"] = r.ok() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.error);
    j["realm"] =
        r.realm.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.realm);
    auto relayed = nlohmann::ordered_json::array();
    auto mapped = nlohmann::ordered_json::array();
    auto local = nlohmann::ordered_json::array();
    for (int i = 0; i < 2; ++i) {
        relayed.push_back(endpoint_json(r.relayed[i]));
        mapped.push_back(endpoint_json(r.mapped[i]));
        local.push_back(endpoint_json(r.local[i]));
    }
    j["local"] = std::move(local);
    j["relayed"] = std::move(relayed);
    j["mapped"] = std::move(mapped);
    j["lifetime"] = r.lifetime;
    j["sent"] = r.sent;
    j["received"] = r.received;
    j["loss_percent"] = r.loss_percent;
    if (r.rtt) {
        nlohmann::ordered_json rtt;
        rtt["min"] = ms_value(r.rtt->min);
        rtt["median"] = ms_value(r.rtt->median);
        rtt["max"] = ms_value(r.rtt->max);
        j["rtt_ms"] = std::move(rtt);
    } else {
        j["rtt_ms"] = nullptr;
    }
    j["released"] = r.released;
    return j;
}

void print(const TurnOptions& o, const std::string& transport,
           const std::optional<util::Endpoint>& server, const TurnReport& r) {
    if (o.client.json)
        std::cout << report_json(o.url, transport, server, r)
                         .dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
                  << '\n';
    else if (server)
        std::cout << report_text(o.url, transport, *server, r);
    else
        std::cout << o.url << "\n  FAILED          " << r.error << '\n';
    std::cout << std::flush;
}

} // namespace

CLI::App* add_turn_command(app::ToolCli& cli, TurnOptions& o) {
    auto* turn = cli.app().add_subcommand(
        "turn", "Authenticate to a TURN server, make two allocations, relay datagrams between "
                "them (ChannelData and Send/Data) and report relayed addresses, round-trip times "
                "and loss; exit 0 when the relay works");
    turn->add_option("url", o.url,
                     "turn:HOST[:PORT][?transport=udp|tcp] or turns:HOST[:PORT] (RFC 7065)")
        ->required()
        ->type_name("URL");
    turn->fallthrough();
    turn->add_flag("--json", o.client.json,
                   "Print one JSON document (with \"version\": 1) instead of text");
    turn->add_option_function<std::string>(
            "--timeout",
            [&o](const std::string& text) {
                if (auto d = app::parse_duration(text, std::chrono::milliseconds(100),
                                                 std::chrono::minutes(10)))
                    o.client.timeout = *d;
            },
            "How long to wait for the answer to one request, retransmissions included, and for "
            "the relayed datagrams (default 3s)")
        ->check(app::validate::duration(std::chrono::milliseconds(100), std::chrono::minutes(10)))
        ->type_name("DURATION");
    turn->add_option("--user", o.user, "User name of the long-term credentials")->type_name("NAME");
    cli.secret(turn->add_option("--password", o.password,
                                "Password of the long-term credentials (or set "
                                "$RTC_PROBE_PASSWORD, which keeps it out of argv)")
                   ->type_name("PASS"));
    cli.secret(turn->add_option("--auth-secret", o.auth_secret,
                                "TURN REST shared secret: the user is \"<expiry>:probe\" (or "
                                "\"<expiry>:NAME\" with --user), the password "
                                "base64(HMAC-SHA1(secret, user))")
                   ->type_name("SECRET"));
    turn->add_option("--realm", o.realm,
                     "The realm the server must name in its challenge (default: accept any)")
        ->type_name("REALM");
    turn->add_option("--count", o.count, "Datagrams to relay round trip (default 10)")
        ->check(CLI::Range(1, 10000))
        ->type_name("N");
    turn->add_option("--size", o.size, "Bytes of application data per datagram (default 100)")
        ->check(CLI::Range(8, 1200))
        ->type_name("BYTES");
    cli.file_value(turn->add_option("--ca", o.ca_file,
                                    "Trust the PEM certificates in FILE for turns: (default: the "
                                    "system's CA bundle)")
                       ->check(app::validate::readable_file())
                       ->type_name("FILE"));
    turn->add_flag("--insecure", o.insecure,
                   "Accept any server certificate (a server with --cert auto)");
    return turn;
}

int run_turn(const TurnOptions& o, app::Logger& log) {
    std::string why;
    auto url = probe::parse_server_url(o.url, &why);
    if (!url)
        throw app::ConfigError("turn: " + why, "e.g. turn:turn.example.org:3478?transport=udp");
    if (!url->is_turn())
        throw app::ConfigError("turn: " + app::quote_value(o.url) + " is not a TURN URI",
                               "give turn:HOST[:PORT] or turns:HOST[:PORT]");
    if (url->secure() && url->transport == probe::UrlTransport::Udp)
        throw app::ConfigError("turn: " + app::quote_value(o.url) +
                                   ": TURN over DTLS is not supported",
                               "use turns:HOST (TLS over TCP)");

    TurnProbeSettings s;
    if (!o.auth_secret.empty()) {
        if (!o.password.empty())
            throw app::ConfigError("turn: --auth-secret and --password exclude each other",
                                   "give one of them");
        // draft-uberti-behave-turn-rest-00 §2.2: "<expiry>:<name>", base64(HMAC-SHA1(secret, u)).
        const auto expiry =
            std::chrono::duration_cast<std::chrono::seconds>(
                (std::chrono::system_clock::now() + kRestValidity).time_since_epoch())
                .count();
        s.credentials.username = std::to_string(expiry) + ":" + (o.user.empty() ? "probe" : o.user);
        s.credentials.password = turn::rest_password(o.auth_secret, s.credentials.username);
        s.rest = true;
    } else {
        std::string password = o.password;
        if (password.empty())
            if (const char* env = std::getenv(kPasswordVariable))
                password = env;
        if (o.user.empty() || password.empty())
            throw app::ConfigError("turn: credentials are required",
                                   "give --user NAME --password PASS ($RTC_PROBE_PASSWORD), or "
                                   "--auth-secret SECRET");
        s.credentials.username = o.user;
        s.credentials.password = password;
    }
    s.credentials.expected_realm = o.realm;
    s.transport = url->secure()                                ? TurnTransport::Tls
                  : url->transport == probe::UrlTransport::Udp ? TurnTransport::Udp
                                                               : TurnTransport::Tcp;
    const std::string transport = s.transport == TurnTransport::Tls   ? "tls"
                                  : s.transport == TurnTransport::Udp ? "udp"
                                                                      : "tcp";
    if (s.transport == TurnTransport::Tls)
        s.tls = client_tls(o.ca_file, o.insecure);
    s.server_name = url->host;
    s.timeout = o.client.timeout;
    s.count = o.count;
    s.size = o.size;
    s.software = "rtc-probe " + std::string(app::toolkit_version());

    try {
        s.server = resolve(*url);
    } catch (const app::ToolError& e) {
        TurnReport r;
        r.code = "resolve";
        r.error = e.what();
        print(o, transport, std::nullopt, r);
        return app::kExitFailure;
    }
    log.debug("probing", {{"url", o.url}, {"server", s.server}});
    const auto report = run_turn_probe(s);
    print(o, transport, s.server, report);
    return report.ok() ? app::kExitOk : app::kExitFailure;
}

} // namespace rtc::probe_tool

#include "load_command.hpp"

#include "load_generator.hpp"
#include "load_turn.hpp"
#include "probe_options.hpp"
#include "resolve.hpp"

#include "app/exit_codes.hpp"
#include "app/option_values.hpp"
#include "app/quote.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace rtc::probe_tool {

namespace {

using std::chrono::milliseconds;

double ms(uint64_t nanoseconds) {
    return static_cast<double>(nanoseconds) / 1e6;
}

std::string ms_text(uint64_t nanoseconds) {
    char buf[32];
    const double v = ms(nanoseconds);
    std::snprintf(buf, sizeof buf, v < 10 ? "%.3f ms" : "%.1f ms", v);
    return buf;
}

std::string number_text(double v, const char* format) {
    char buf[48];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
}

// The fields every load kind reports: mode, counts, rates, latency (the man page's list).
void put_load_json(nlohmann::ordered_json& j, const LoadPacing& p, const LoadReport& r) {
    j["mode"] = p.rate > 0 ? "rate" : "window";
    j["rate_target"] = p.rate > 0 ? nlohmann::ordered_json(p.rate) : nullptr;
    j["window"] = p.rate > 0 ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(p.window);
    j["seconds"] = r.seconds;
    j["sent"] = r.sent;
    j["answered"] = r.answered;
    j["error_responses"] = r.error_responses;
    j["lost"] = r.lost;
    j["late"] = r.late;
    j["invalid"] = r.invalid;
    j["not_sent"] = r.not_sent;
    j["send_errors"] = r.send_errors;
    j["loss_percent"] = r.loss_ratio() * 100;
    j["sent_per_second"] = r.seconds > 0 ? std::round(static_cast<double>(r.sent) / r.seconds) : 0;
    j["answered_per_second"] =
        r.seconds > 0 ? std::round(static_cast<double>(r.answered) / r.seconds) : 0;
    nlohmann::ordered_json latency;
    const bool any = r.latency.count() > 0;
    auto at = [&](double q) {
        return any ? nlohmann::ordered_json(ms(r.latency.percentile(q))) : nullptr;
    };
    latency["min"] = any ? nlohmann::ordered_json(ms(r.latency.min())) : nullptr;
    latency["p50"] = at(0.5);
    latency["p90"] = at(0.9);
    latency["p99"] = at(0.99);
    latency["max"] = any ? nlohmann::ordered_json(ms(r.latency.max())) : nullptr;
    j["latency_ms"] = std::move(latency);
}

nlohmann::ordered_json report_json(const LoadStunOptions& o, const LoadSettings& s,
                                   const LoadReport& r, bool ok) {
    nlohmann::ordered_json j;
    j["version"] = 1;
    j["command"] = "load stun";
    j["ok"] = ok;
    j["url"] = o.url;
    j["server"] = s.server.to_string();
    j["sockets"] = s.sockets;
    put_load_json(j, s.pacing, r);
    return j;
}

void field(std::string& out, std::string_view label, const std::string& value) {
    out += "  ";
    out += label;
    out.append(label.size() < 12 ? 12 - label.size() : 1, ' ');
    out += value;
    out += '\n';
}

std::string pacing_text(const LoadPacing& p) {
    return p.rate > 0 ? number_text(p.rate, "%.0f/s") : "window " + std::to_string(p.window);
}

void append_load_text(std::string& out, const LoadReport& r) {
    field(out, "sent",
          std::to_string(r.sent) + " in " + number_text(r.seconds, "%.2f s") + " (" +
              number_text(r.seconds > 0 ? r.sent / r.seconds : 0, "%.0f/s") + ")");
    field(out, "answered",
          std::to_string(r.answered) + " (" +
              number_text(r.seconds > 0 ? r.answered / r.seconds : 0, "%.0f/s") + ")");
    field(out, "lost",
          std::to_string(r.lost) + " (" + number_text(r.loss_ratio() * 100, "%.2f%%") + ")");
    if (r.error_responses)
        field(out, "errors", std::to_string(r.error_responses) + " error responses");
    if (r.late || r.invalid)
        field(out, "other",
              std::to_string(r.late) + " late, " + std::to_string(r.invalid) + " not answers");
    if (r.not_sent || r.send_errors)
        field(out, "not sent",
              std::to_string(r.not_sent) + " (queue full or stalled), " +
                  std::to_string(r.send_errors) + " refused by the kernel");
    if (r.latency.count())
        field(out, "latency",
              "p50 " + ms_text(r.latency.percentile(0.5)) + ", p90 " +
                  ms_text(r.latency.percentile(0.9)) + ", p99 " +
                  ms_text(r.latency.percentile(0.99)) + ", max " + ms_text(r.latency.max()));
}

std::string report_text(const LoadStunOptions& o, const LoadSettings& s, const LoadReport& r) {
    std::string out = o.url + " (udp " + s.server.to_string() + ", " + std::to_string(s.sockets) +
                      (s.sockets == 1 ? " socket, " : " sockets, ") + pacing_text(s.pacing) + ")\n";
    append_load_text(out, r);
    return out;
}

// The options `load stun` and `load turn` share, spelled the same (CLI.md).
struct PacingOptions {
    CLI::App* command;
    double& rate;
    int& window;
    milliseconds& duration;
    uint64_t& count;
    milliseconds& timeout;
    double& max_loss;
};

std::string capitalized(std::string text) {
    if (!text.empty() && text[0] >= 'a' && text[0] <= 'z')
        text[0] = static_cast<char>(text[0] - 'a' + 'A');
    return text;
}

void add_pacing_options(const PacingOptions& p, const std::string& unit, const std::string& per) {
    auto* rate =
        p.command
            ->add_option("--rate", p.rate,
                         capitalized(unit) + " per second over all " + per + " (default 1000)")
            ->check(CLI::Range(1.0, 5.0e6))
            ->type_name("N");
    auto* window =
        p.command
            ->add_option("--window", p.window,
                         "Instead of a rate: keep W " + unit + " in flight per " +
                             per.substr(0, per.size() - 1) + " (as fast as the server answers)")
            ->check(CLI::Range(1, 4096))
            ->type_name("W");
    rate->excludes(window);
    p.command
        ->add_option("--count", p.count, "Stop sending after N " + unit + " (default: no limit)")
        ->check(CLI::Range(uint64_t{1}, uint64_t{1'000'000'000}))
        ->type_name("N");
    add_duration(*p.command, "--timeout", p.timeout, milliseconds(10), std::chrono::seconds(60),
                 "Unanswered this long: lost; the run waits this long for the last answers "
                 "(default 1s)");
    p.command
        ->add_option("--max-loss", p.max_loss,
                     "Exit 1 when more than this percentage is lost (default 1)")
        ->check(CLI::Range(0.0, 100.0))
        ->type_name("PERCENT");
}

LoadPacing pacing_of(double rate, int window, milliseconds duration, milliseconds timeout,
                     uint64_t count) {
    LoadPacing p;
    p.window = window;
    p.rate = window > 0 ? 0 : (rate > 0 ? rate : kDefaultLoadRate);
    p.duration = duration;
    p.timeout = timeout;
    p.count = count;
    return p;
}

void add_turn_options(CLI::App& turn, app::ToolCli& cli, LoadTurnOptions& o) {
    turn.add_option("url", o.url, "turn:HOST[:PORT] (RFC 7065), over UDP")
        ->required()
        ->type_name("URL");
    turn.add_flag("--json", o.json,
                  "Print one JSON document (with \"version\": 1) instead of text");
    turn.add_option("--user", o.user, "User name of the long-term credentials")->type_name("NAME");
    cli.secret(turn.add_option("--password", o.password,
                               "Password of the long-term credentials (or set "
                               "$RTC_PROBE_PASSWORD, which keeps it out of argv)")
                   ->type_name("PASS"));
    turn.add_option("--allocations", o.allocations,
                    "Allocations, each from its own UDP socket (default 10)")
        ->check(CLI::Range(1, 10000))
        ->type_name("N");
    turn.add_option("--peer", o.peer,
                    "An echo peer every allocation relays to (default: rtc-probe's own, on the "
                    "local address that routes to the server)")
        ->type_name("HOST:PORT");
    turn.add_option("--size", o.size, "ChannelData payload bytes (default 100)")
        ->check(CLI::Range(std::size_t{kMinLoadTurnSize}, std::size_t{1200}))
        ->type_name("BYTES");
    add_duration(turn, "--duration", o.duration, milliseconds(100), std::chrono::minutes(4),
                 "How long to send (default 5s; at most 4m, within the permission lifetime)");
}

nlohmann::ordered_json turn_report_json(const LoadTurnOptions& o, const TurnLoadSettings& s,
                                        const TurnLoadReport& r, bool ok) {
    nlohmann::ordered_json j;
    j["version"] = 1;
    j["command"] = "load turn";
    j["ok"] = ok;
    j["code"] = r.failure == probe::TurnFailure::None
                    ? nlohmann::ordered_json(nullptr)
                    : nlohmann::ordered_json(std::string(probe::failure_code(r.failure)));
    j["error"] = r.failure_text.empty() ? nlohmann::ordered_json(nullptr)
                                        : nlohmann::ordered_json(r.failure_text);
    j["url"] = o.url;
    j["server"] = s.server.to_string();
    j["peer"] = r.peer.to_string();
    j["own_peer"] = r.own_peer;
    j["allocations"] = s.allocations;
    j["allocated"] = r.allocated;
    j["ready"] = r.ready;
    j["released"] = r.released;
    j["relayed"] = r.first_relayed ? nlohmann::ordered_json(r.first_relayed->to_string())
                                   : nlohmann::ordered_json(nullptr);
    j["setup_ms"] = r.setup_time.count();
    j["size"] = s.size;
    put_load_json(j, s.pacing, r.load);
    j["echoed"] = r.own_peer ? nlohmann::ordered_json(r.echoed) : nlohmann::ordered_json(nullptr);
    return j;
}

std::string turn_report_text(const LoadTurnOptions& o, const TurnLoadSettings& s,
                             const TurnLoadReport& r) {
    std::string out = o.url + " (udp " + s.server.to_string() + ", " +
                      std::to_string(s.allocations) +
                      (s.allocations == 1 ? " allocation, " : " allocations, ") +
                      pacing_text(s.pacing) + ", " + std::to_string(s.size) + " bytes)\n";
    field(out, "allocated",
          std::to_string(r.allocated) + " of " + std::to_string(s.allocations) + ", " +
              std::to_string(r.ready) + " with permission and channel, in " +
              std::to_string(r.setup_time.count()) + " ms" +
              (r.first_relayed ? " (relayed " + r.first_relayed->to_string() + ", ...)" : ""));
    field(out, "peer",
          r.peer.to_string() +
              (r.own_peer ? " (rtc-probe's echo peer, " + std::to_string(r.echoed) + " echoed)"
                          : ""));
    if (!r.failure_text.empty())
        field(out, "failed", r.failure_text);
    if (r.ready > 0)
        append_load_text(out, r.load);
    field(out, "released", std::to_string(r.released) + " of " + std::to_string(r.allocated));
    return out;
}

} // namespace

LoadCommands add_load_command(app::ToolCli& cli, LoadStunOptions& o, LoadTurnOptions& t,
                              LoadSfuOptions& sfu) {
    LoadCommands commands;
    commands.load = cli.app().add_subcommand(
        "load", "Generate load against a server and report rate, loss and latency");
    commands.load->require_subcommand(1);
    auto* stun = commands.load->add_subcommand(
        "stun", "Send STUN Binding requests over UDP from many sockets (batched I/O) at a rate "
                "or with a window in flight; exit 0 when the loss is at most --max-loss");
    commands.stun = stun;
    stun->fallthrough();
    stun->add_option("url", o.url, "stun:HOST[:PORT] (RFC 7064), over UDP")
        ->required()
        ->type_name("URL");
    stun->add_flag("--json", o.json,
                   "Print one JSON document (with \"version\": 1) instead of text");
    add_pacing_options({stun, o.rate, o.window, o.duration, o.count, o.timeout, o.max_loss},
                       "requests", "sockets");
    add_duration(*stun, "--duration", o.duration, milliseconds(100), std::chrono::hours(1),
                 "How long to send (default 5s)");
    stun->add_option("--sockets", o.sockets, "UDP sockets to send from (default 4)")
        ->check(CLI::Range(1, 1024))
        ->type_name("S");

    auto* turn = commands.load->add_subcommand(
        "turn", "Make N TURN allocations over UDP, each with a permission and a channel to an "
                "echo peer, and send ChannelData through them at a rate or with a window in "
                "flight; exit 0 when every allocation was made and the loss is at most "
                "--max-loss");
    commands.turn = turn;
    turn->fallthrough();
    add_turn_options(*turn, cli, t);
    add_pacing_options({turn, t.rate, t.window, t.duration, t.count, t.timeout, t.max_loss},
                       "datagrams", "allocations");
    commands.sfu = add_load_sfu_command(*commands.load, sfu);
    return commands;
}

int run_load_stun(const LoadStunOptions& o, app::Logger& log) {
    std::string why;
    auto url = probe::parse_server_url(o.url, &why);
    if (!url)
        throw app::ConfigError("load stun: " + why, "e.g. stun:127.0.0.1:3478");
    if (url->is_turn() || url->secure() || url->transport != probe::UrlTransport::Udp)
        throw app::ConfigError("load stun: " + app::quote_value(o.url) + " is not STUN over UDP",
                               "give stun:HOST[:PORT]");
    LoadSettings s;
    s.server = resolve(*url);
    s.sockets = o.sockets;
    s.pacing = pacing_of(o.rate, o.window, o.duration, o.timeout, o.count);
    log.debug("load", {{"server", s.server}, {"sockets", std::to_string(s.sockets)}});

    const LoadReport r = run_stun_load(s);
    const bool ok = r.answered > 0 && r.loss_ratio() * 100 <= o.max_loss;
    if (o.json)
        std::cout << report_json(o, s, r, ok).dump(2) << '\n';
    else
        std::cout << report_text(o, s, r);
    std::cout << std::flush;
    if (!ok && !o.json)
        std::cerr << "rtc-probe: load stun: "
                  << (r.answered == 0 ? std::string("no answer from ") + s.server.to_string()
                                      : number_text(r.loss_ratio() * 100, "%.2f%% lost") +
                                            " (more than --max-loss)")
                  << '\n';
    return ok ? app::kExitOk : app::kExitFailure;
}

int run_load_turn(const LoadTurnOptions& o, app::Logger& log) {
    std::string why;
    auto url = probe::parse_server_url(o.url, &why);
    if (!url)
        throw app::ConfigError("load turn: " + why, "e.g. turn:127.0.0.1:3478");
    if (!url->is_turn() || url->secure() || url->transport != probe::UrlTransport::Udp)
        throw app::ConfigError("load turn: " + app::quote_value(o.url) + " is not TURN over UDP",
                               "give turn:HOST[:PORT]");
    TurnLoadSettings s;
    s.credentials.username = o.user;
    s.credentials.password = o.password;
    if (s.credentials.password.empty())
        if (const char* env = std::getenv("RTC_PROBE_PASSWORD"))
            s.credentials.password = env;
    if (s.credentials.username.empty() || s.credentials.password.empty())
        throw app::ConfigError("load turn: credentials are required",
                               "give --user NAME --password PASS ($RTC_PROBE_PASSWORD)");
    if (!o.peer.empty()) {
        s.peer = util::Endpoint::parse(o.peer);
        if (!s.peer || s.peer->port == 0)
            throw app::ConfigError("--peer: " + app::quote_value(o.peer) +
                                       " is not an address and port",
                                   "e.g. --peer 192.0.2.10:5000");
    }
    s.server = resolve(*url);
    s.software = "rtc-probe " + std::string(app::toolkit_version());
    s.allocations = o.allocations;
    s.size = o.size;
    s.pacing = pacing_of(o.rate, o.window, o.duration, o.timeout, o.count);
    s.setup_timeout = std::max<milliseconds>(o.timeout, milliseconds(3000));
    log.debug("load turn", {{"server", s.server}, {"allocations", std::to_string(s.allocations)}});

    const TurnLoadReport r = run_turn_load(s, log);
    const bool ok =
        r.ready == s.allocations && r.load.answered > 0 && r.load.loss_ratio() * 100 <= o.max_loss;
    if (o.json)
        std::cout << turn_report_json(o, s, r, ok).dump(2) << '\n';
    else
        std::cout << turn_report_text(o, s, r);
    std::cout << std::flush;
    if (!ok && !o.json) {
        std::string reason;
        if (!r.failure_text.empty())
            reason = std::to_string(s.allocations - r.ready) + " of " +
                     std::to_string(s.allocations) + " allocations failed, the first at " +
                     r.failure_text;
        else if (r.load.answered == 0)
            reason = "nothing came back through the relay from " + r.peer.to_string();
        else
            reason =
                number_text(r.load.loss_ratio() * 100, "%.2f%% lost") + " (more than --max-loss)";
        std::cerr << "rtc-probe: load turn: " << reason << '\n';
    }
    return ok ? app::kExitOk : app::kExitFailure;
}

} // namespace rtc::probe_tool

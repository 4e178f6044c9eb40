#include "load_command.hpp"

#include "load_generator.hpp"
#include "resolve.hpp"

#include "app/exit_codes.hpp"
#include "app/option_values.hpp"
#include "app/quote.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <iostream>

namespace rtc::probe_tool {

namespace {

using std::chrono::milliseconds;

void add_duration(CLI::App& command, const std::string& name, milliseconds& value, milliseconds min,
                  milliseconds max, const std::string& description) {
    command
        .add_option_function<std::string>(
            name,
            [&value, min, max](const std::string& text) {
                if (auto d = app::parse_duration(text, min, max))
                    value = *d;
            },
            description)
        ->check(app::validate::duration(min, max))
        ->type_name("DURATION");
}

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

nlohmann::ordered_json report_json(const LoadStunOptions& o, const LoadSettings& s,
                                   const LoadReport& r, bool ok) {
    nlohmann::ordered_json j;
    j["version"] = 1;
    j["command"] = "load stun";
    j["ok"] = ok;
    j["url"] = o.url;
    j["server"] = s.server.to_string();
    j["mode"] = s.rate > 0 ? "rate" : "window";
    j["rate_target"] = s.rate > 0 ? nlohmann::ordered_json(s.rate) : nullptr;
    j["window"] = s.rate > 0 ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(s.window);
    j["sockets"] = s.sockets;
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
    return j;
}

void field(std::string& out, std::string_view label, const std::string& value) {
    out += "  ";
    out += label;
    out.append(label.size() < 12 ? 12 - label.size() : 1, ' ');
    out += value;
    out += '\n';
}

std::string report_text(const LoadStunOptions& o, const LoadSettings& s, const LoadReport& r) {
    std::string out =
        o.url + " (udp " + s.server.to_string() + ", " + std::to_string(s.sockets) +
        (s.sockets == 1 ? " socket, " : " sockets, ") +
        (s.rate > 0 ? number_text(s.rate, "%.0f/s") : "window " + std::to_string(s.window)) + ")\n";
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
              std::to_string(r.late) + " late, " + std::to_string(r.invalid) +
                  " not Binding responses");
    if (r.not_sent || r.send_errors)
        field(out, "not sent",
              std::to_string(r.not_sent) + " (queue full or stalled), " +
                  std::to_string(r.send_errors) + " refused by the kernel");
    if (r.latency.count())
        field(out, "latency",
              "p50 " + ms_text(r.latency.percentile(0.5)) + ", p90 " +
                  ms_text(r.latency.percentile(0.9)) + ", p99 " +
                  ms_text(r.latency.percentile(0.99)) + ", max " + ms_text(r.latency.max()));
    return out;
}

} // namespace

LoadCommands add_load_command(app::ToolCli& cli, LoadStunOptions& o) {
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
    auto* rate =
        stun->add_option("--rate", o.rate, "Requests per second over all sockets (default 1000)")
            ->check(CLI::Range(1.0, 5.0e6))
            ->type_name("N");
    auto* window = stun->add_option("--window", o.window,
                                    "Instead of a rate: keep W requests in flight per socket "
                                    "(as fast as the server answers)")
                       ->check(CLI::Range(1, 4096))
                       ->type_name("W");
    rate->excludes(window);
    add_duration(*stun, "--duration", o.duration, milliseconds(100), std::chrono::hours(1),
                 "How long to send (default 5s)");
    stun->add_option("--count", o.count, "Stop sending after N requests (default: no limit)")
        ->check(CLI::Range(uint64_t{1}, uint64_t{1'000'000'000}))
        ->type_name("N");
    stun->add_option("--sockets", o.sockets, "UDP sockets to send from (default 4)")
        ->check(CLI::Range(1, 1024))
        ->type_name("S");
    add_duration(*stun, "--timeout", o.timeout, milliseconds(10), std::chrono::seconds(60),
                 "A request unanswered this long is lost; the run waits this long for the last "
                 "answers (default 1s)");
    stun->add_option("--max-loss", o.max_loss,
                     "Exit 1 when more than this percentage is lost (default 1)")
        ->check(CLI::Range(0.0, 100.0))
        ->type_name("PERCENT");
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
    s.window = o.window;
    s.rate = o.window > 0 ? 0 : (o.rate > 0 ? o.rate : kDefaultLoadRate);
    s.duration = o.duration;
    s.timeout = o.timeout;
    s.count = o.count;
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

} // namespace rtc::probe_tool

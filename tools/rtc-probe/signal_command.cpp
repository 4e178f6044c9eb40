#include "signal_command.hpp"

#include "signal_check.hpp"

#include "app/exit_codes.hpp"
#include "app/option_values.hpp"
#include "app/quote.hpp"
#include "crypto/random.hpp"
#include "ws/url.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>

namespace rtc::probe_tool {

namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;

std::string random_suffix() {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%08x", crypto::random_u32());
    return buf;
}

double ms(nanoseconds d) {
    return static_cast<double>(d.count()) / 1e6;
}

std::string ms_text(nanoseconds d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, ms(d) < 10 ? "%.2f ms" : "%.0f ms", ms(d));
    return buf;
}

struct RttSummary {
    nanoseconds min{0}, median{0}, p99{0};
};

// Nearest rank (the smallest value with at least q of the samples at or below it).
RttSummary summarize(std::vector<nanoseconds> rtts) {
    RttSummary s;
    if (rtts.empty())
        return s;
    std::sort(rtts.begin(), rtts.end());
    auto at = [&](double q) {
        auto rank = static_cast<std::size_t>(q * static_cast<double>(rtts.size()) + 0.999999);
        return rtts[std::clamp<std::size_t>(rank, 1, rtts.size()) - 1];
    };
    s.min = rtts.front();
    s.median = at(0.5);
    s.p99 = at(0.99);
    return s;
}

void field(std::string& out, std::string_view label, const std::string& value) {
    out += "  ";
    out += label;
    out.append(label.size() < 12 ? 12 - label.size() : 1, ' ');
    out += value;
    out += '\n';
}

} // namespace

CLI::App* add_signal_command(app::ToolCli& cli, SignalOptions& o) {
    auto* signal = cli.app().add_subcommand(
        "signal", "Join a room of a signaling server (rtc-signal) as two peers, check the "
                  "welcome and round-trip messages; exit 0 when every message came back");
    signal->fallthrough();
    signal
        ->add_option("url", o.url,
                     "ws://HOST:PORT/ROOM or wss://...; without ROOM a random room is used")
        ->required()
        ->type_name("URL");
    signal->add_flag("--json", o.json,
                     "Print one JSON document (with \"version\": 1) instead of text");
    signal
        ->add_option_function<std::string>(
            "--timeout",
            [&o](const std::string& text) {
                if (auto d = app::parse_duration(text, milliseconds(100), std::chrono::minutes(10)))
                    o.timeout = *d;
            },
            "How long each step may take: connecting and joining, each round trip (default 3s)")
        ->check(app::validate::duration(milliseconds(100), std::chrono::minutes(10)))
        ->type_name("DURATION");
    signal->add_option("--count", o.messages, "Messages to round-trip a -> b -> a (default 10)")
        ->check(CLI::Range(1, 100000))
        ->type_name("N");
    cli.file_value(
        signal
            ->add_option("--token", o.token, "The token both peers present (Authorization: Bearer)")
            ->type_name("TOKEN"));
    cli.file_value(signal
                       ->add_option("--ca", o.ca_file,
                                    "Trust the PEM certificates in FILE for wss:// (default: "
                                    "the system's CA bundle)")
                       ->check(app::validate::readable_file())
                       ->type_name("FILE"));
    signal->add_flag("--insecure", o.insecure,
                     "Accept any server certificate (a server with --cert auto)");
    return signal;
}

int run_signal(const SignalOptions& o, app::Logger& log) {
    const auto url = ws::parse_url(o.url);
    if (!url)
        throw app::ConfigError("signal: " + app::quote_value(o.url) +
                                   " is not a ws:// or wss:// URL",
                               "e.g. rtc-probe signal wss://signal.example.org/probe");
    if (url->target.find('?') != std::string::npos)
        throw app::ConfigError("signal: " + app::quote_value(o.url) + " has a query",
                               "give the room in the path and the token with --token");
    SignalSettings s;
    s.room = url->target.substr(1);
    if (s.room.empty())
        s.room = "probe-" + random_suffix();
    s.url = std::string(url->secure ? "wss://" : "ws://") + url->host_header + "/" + s.room;
    const std::string suffix = random_suffix();
    s.id_a = "probe-a-" + suffix;
    s.id_b = "probe-b-" + suffix;
    s.token = o.token;
    s.insecure = o.insecure;
    s.ca_file = o.ca_file;
    s.messages = o.messages;
    s.timeout = o.timeout;
    log.debug("signal", {{"url", s.url}, {"a", s.id_a}, {"b", s.id_b}});

    asio::io_context io;
    const SignalResult r = run_signal_check(io, s);
    const RttSummary rtt = summarize(r.rtts);
    const bool joined = r.join.count() > 0;
    if (o.json) {
        using Json = nlohmann::ordered_json;
        Json j;
        j["version"] = 1;
        j["command"] = "signal";
        j["ok"] = r.ok;
        j["url"] = s.url;
        j["room"] = s.room;
        j["server"] = r.server.empty() ? Json(nullptr) : Json(r.server);
        j["connect_ms"] = r.connect.count() > 0 ? Json(ms(r.connect)) : Json(nullptr);
        j["join_ms"] = joined ? Json(ms(r.join)) : Json(nullptr);
        j["join_b_ms"] = r.join_b.count() > 0 ? Json(ms(r.join_b)) : Json(nullptr);
        j["messages"] = r.rtts.size();
        j["rtt_ms"] =
            r.rtts.empty()
                ? Json(nullptr)
                : Json{{"min", ms(rtt.min)}, {"median", ms(rtt.median)}, {"p99", ms(rtt.p99)}};
        j["http_status"] = r.http_status ? Json(r.http_status) : Json(nullptr);
        j["error"] = r.ok ? Json(nullptr) : Json(r.error);
        std::cout << j.dump(2, ' ', false, Json::error_handler_t::replace) << '\n';
    } else {
        std::string out = s.url + (r.server.empty() ? "" : " (" + r.server + ")") + "\n";
        if (r.connect.count() > 0)
            field(out, "connect", ms_text(r.connect));
        if (joined)
            field(out, "join",
                  ms_text(r.join) +
                      (r.join_b.count() > 0 ? " (second peer " + ms_text(r.join_b) + ")" : ""));
        if (!r.rtts.empty()) {
            field(out, "messages", std::to_string(r.rtts.size()) + " round trips a -> b -> a");
            field(out, "rtt",
                  "min " + ms_text(rtt.min) + ", median " + ms_text(rtt.median) + ", p99 " +
                      ms_text(rtt.p99));
        }
        if (!r.ok)
            field(out, "FAILED", r.error);
        std::cout << out;
    }
    std::cout << std::flush;
    if (!r.ok)
        std::cerr << "rtc-probe: signal: " << r.error << '\n';
    return r.ok ? app::kExitOk : app::kExitFailure;
}

} // namespace rtc::probe_tool

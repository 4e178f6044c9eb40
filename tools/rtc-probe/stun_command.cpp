#include "stun_command.hpp"

#include "client_tls.hpp"
#include "resolve.hpp"
#include "stun_check.hpp"

#include "app/cli.hpp"
#include "app/exit_codes.hpp"
#include "app/quote.hpp"
#include "app/secret_file.hpp"
#include "tls/context.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

namespace rtc::probe_tool {

namespace {

std::string milliseconds_text(std::chrono::microseconds rtt) {
    char buf[32];
    const double ms = static_cast<double>(rtt.count()) / 1000.0;
    std::snprintf(buf, sizeof buf, ms < 10 ? "%.2f ms" : "%.0f ms", ms);
    return buf;
}

nlohmann::ordered_json endpoint_json(const std::optional<util::Endpoint>& e) {
    return e ? nlohmann::ordered_json(e->to_string()) : nlohmann::ordered_json(nullptr);
}

void field(std::string& out, std::string_view label, const std::string& value) {
    out += "  ";
    out += label;
    out.append(label.size() < 16 ? 16 - label.size() : 1, ' ');
    out += value;
    out += '\n';
}

std::string result_text(const StunResult& r) {
    std::string out = r.url_text;
    if (r.server)
        out += " (" + r.transport + " " + r.server->to_string() + ")";
    out += '\n';
    if (r.answer && r.answer->success) {
        field(out, "mapped", r.answer->mapped->to_string());
        if (r.local)
            field(out, "local", r.local->to_string());
        field(out, "rtt",
              milliseconds_text(r.rtt) + " (" + std::to_string(r.requests) +
                  (r.requests == 1 ? " request, " : " requests, ") +
                  std::to_string(r.retransmissions) + " retransmissions)");
        if (!r.answer->software.empty())
            field(out, "software", app::quote_value(r.answer->software));
        if (r.answer->other_address)
            field(out, "other address", r.answer->other_address->to_string());
        if (r.answer->response_origin)
            field(out, "response origin", r.answer->response_origin->to_string());
    }
    if (!r.error.empty())
        field(out, "FAILED", r.error);
    return out;
}

nlohmann::ordered_json result_json(const StunResult& r) {
    nlohmann::ordered_json j;
    j["url"] = r.url_text;
    j["transport"] =
        r.transport.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.transport);
    j["server"] = endpoint_json(r.server);
    j["ok"] = r.ok();
    const bool success = r.answer && r.answer->success;
    j["local"] = endpoint_json(r.local);
    j["mapped"] = success ? endpoint_json(r.answer->mapped) : nlohmann::ordered_json(nullptr);
    j["rtt_ms"] = r.answer ? nlohmann::ordered_json(static_cast<double>(r.rtt.count()) / 1000.0)
                           : nlohmann::ordered_json(nullptr);
    j["requests"] = r.requests;
    j["retransmissions"] = r.retransmissions;
    j["software"] = r.answer && !r.answer->software.empty()
                        ? nlohmann::ordered_json(r.answer->software)
                        : nlohmann::ordered_json(nullptr);
    j["other_address"] = success ? endpoint_json(r.answer->other_address) : nullptr;
    j["response_origin"] = success ? endpoint_json(r.answer->response_origin) : nullptr;
    j["error_code"] =
        r.answer && !r.answer->success ? nlohmann::ordered_json(r.answer->error_code) : nullptr;
    j["error"] =
        r.error.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.error);
    return j;
}

} // namespace

int run_stun(const StunOptions& options, app::Logger& log) {
    std::vector<StunResult> results(options.urls.size());
    bool any_secure = false;
    for (std::size_t i = 0; i < options.urls.size(); ++i) {
        std::string why;
        auto url = probe::parse_server_url(options.urls[i], &why);
        if (!url)
            throw app::ConfigError("stun: " + why, "e.g. stun:stun.example.org:3478");
        if (url->is_turn())
            throw app::ConfigError("stun: " + app::quote_value(options.urls[i]) + " is a TURN URI",
                                   "give stun:HOST or stuns:HOST");
        if (url->secure() && url->transport == probe::UrlTransport::Udp)
            throw app::ConfigError("stun: " + app::quote_value(options.urls[i]) +
                                       ": STUN over DTLS is not supported",
                                   "use stuns:HOST (TLS over TCP)");
        any_secure = any_secure || url->secure();
        results[i].url_text = options.urls[i];
        results[i].transport = url->secure()                                ? "tls"
                               : url->transport == probe::UrlTransport::Udp ? "udp"
                                                                            : "tcp";
        results[i].url = std::move(url);
    }

    StunCheckSettings plain;
    plain.timeout = options.client.timeout;
    plain.software = "rtc-probe " + std::string(app::toolkit_version());
    StunCheckSettings secure = plain;
    if (any_secure)
        secure.tls = client_tls(options.ca_file, options.insecure);

    asio::io_context io;
    std::vector<std::unique_ptr<StunCheck>> checks;
    for (std::size_t i = 0; i < results.size(); ++i) {
        try {
            results[i].server = resolve(*results[i].url);
        } catch (const app::ToolError& e) {
            results[i].error = e.what();
            continue;
        }
        log.debug("checking", {{"url", results[i].url_text}, {"server", *results[i].server}});
        auto on_done = [&results, i](StunResult r) { results[i] = std::move(r); };
        checks.push_back(
            StunCheck::start(io, results[i], results[i].url->secure() ? secure : plain, on_done));
    }
    io.run();

    bool all_ok = true;
    for (const auto& r : results)
        all_ok = all_ok && r.ok();
    if (options.client.json) {
        nlohmann::ordered_json j;
        j["version"] = 1;
        j["command"] = "stun";
        j["ok"] = all_ok;
        auto list = nlohmann::ordered_json::array();
        for (const auto& r : results)
            list.push_back(result_json(r));
        j["results"] = std::move(list);
        std::cout << j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
                  << '\n';
    } else {
        for (const auto& r : results)
            std::cout << result_text(r);
    }
    std::cout << std::flush;
    return all_ok ? app::kExitOk : app::kExitFailure;
}

} // namespace rtc::probe_tool

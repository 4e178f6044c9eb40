#include "nat_output.hpp"

#include "app/quote.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace rtc::probe_tool {

namespace {

using probe::Behaviour;
using probe::NatReport;

std::string verdict(const NatReport& r) {
    if (r.udp_blocked)
        return "UDP blocked: no server answered";
    switch (r.mapping) {
    case Behaviour::None:
        return "no NAT: the mapped address is the local address";
    case Behaviour::EndpointIndependent:
    case Behaviour::AddressDependent:
    case Behaviour::AddressAndPortDependent:
        return "NAT with " + std::string(to_string(r.mapping)) + " mapping";
    case Behaviour::Unknown:
        break;
    }
    return r.mapping_varies ? "unknown: the mapping changes with the destination, but these "
                              "servers cannot tell whether the port matters"
                            : "unknown: the server cannot tell (give --alt-server)";
}

std::string milliseconds_text(double ms) {
    char buf[32];
    std::snprintf(buf, sizeof buf, ms < 10 ? "%.2f ms" : "%.0f ms", ms);
    return buf;
}

std::string seconds_text(std::chrono::milliseconds d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(d.count()) / 1000.0);
    return buf;
}

void line(std::string& out, std::string_view label, const std::string& value) {
    out += label;
    out.append(label.size() < 14 ? 14 - label.size() : 1, ' ');
    out += value;
    out += '\n';
}

std::string or_none(const std::optional<util::Endpoint>& e) {
    return e ? e->to_string() : "none";
}

nlohmann::ordered_json endpoint_json(const std::optional<util::Endpoint>& e) {
    return e ? nlohmann::ordered_json(e->to_string()) : nlohmann::ordered_json(nullptr);
}

std::string hairpin_text(const NatReport& r, bool asked) {
    if (!asked)
        return "not tested (--hairpin)";
    if (r.hairpin)
        return *r.hairpin ? "yes" : "no";
    return "unknown: " + r.hairpin_note;
}

std::string lifetime_text(const NatReport& r, bool asked) {
    if (!asked)
        return "not tested (--lifetime)";
    if (!r.binding_lifetime)
        return "unknown: " + r.lifetime_note;
    if (r.binding_lifetime_capped)
        return "at least " + seconds_text(*r.binding_lifetime) + " (--lifetime-max)";
    return seconds_text(*r.binding_lifetime) + " (longest idle time seen alive)";
}

} // namespace

std::string nat_text(const NatReport& r, const NatRunInfo& info) {
    std::string out;
    std::string server = r.server.to_string();
    if (!r.software.empty())
        server += ", SOFTWARE " + app::quote_value(r.software);
    line(out, "server", info.url.to_string() + " (" + server + ")");
    line(out, "other address", or_none(r.other_address));
    line(out, "RFC 5780",
         r.server_capable ? "server capable" : "server not capable: " + r.capability_note);
    line(out, "local", or_none(r.local));
    line(out, "mapped", or_none(r.mapped));
    for (const auto& o : r.observations)
        line(out, "  via", o.server.to_string() + " -> " + o.mapped.to_string());
    line(out, "mapping", std::string(to_string(r.mapping)));
    line(out, "filtering", std::string(to_string(r.filtering)));
    line(out, "RFC 3489", std::string(r.rfc3489_label()));
    line(out, "hairpin", hairpin_text(r, info.hairpin_asked));
    line(out, "lifetime", lifetime_text(r, info.lifetime_asked));
    if (r.rtt)
        line(out, "rtt", milliseconds_text(static_cast<double>(r.rtt->count()) / 1000.0));
    line(out, "verdict", verdict(r) + " (exit " + std::to_string(r.exit_code()) + ")");
    return out;
}

std::string nat_json(const NatReport& r, const NatRunInfo& info) {
    nlohmann::ordered_json j;
    j["version"] = 1;
    j["command"] = "nat";
    j["server"] = info.url.to_string();
    j["server_address"] = r.server.to_string();
    j["local"] = endpoint_json(r.local);
    j["mapped"] = endpoint_json(r.mapped);
    j["udp_blocked"] = r.udp_blocked;
    j["mapping"] = to_string(r.mapping);
    j["filtering"] = to_string(r.filtering);
    j["rfc3489"] = r.rfc3489_label();
    j["server_capable"] = r.server_capable;
    j["capability_note"] = r.capability_note;
    j["other_address"] = endpoint_json(r.other_address);
    j["response_origin"] = endpoint_json(r.response_origin);
    j["software"] =
        r.software.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.software);
    j["rtt_ms"] = r.rtt ? nlohmann::ordered_json(static_cast<double>(r.rtt->count()) / 1000.0)
                        : nlohmann::ordered_json(nullptr);
    j["hairpin"] = r.hairpin ? nlohmann::ordered_json(*r.hairpin) : nlohmann::ordered_json(nullptr);
    j["hairpin_note"] = info.hairpin_asked && !r.hairpin ? r.hairpin_note : "";
    j["binding_lifetime_s"] =
        r.binding_lifetime
            ? nlohmann::ordered_json(static_cast<double>(r.binding_lifetime->count()) / 1000.0)
            : nlohmann::ordered_json(nullptr);
    j["binding_lifetime_capped"] = r.binding_lifetime_capped;
    j["lifetime_note"] = info.lifetime_asked && !r.binding_lifetime ? r.lifetime_note : "";
    auto observations = nlohmann::ordered_json::array();
    for (const auto& o : r.observations)
        observations.push_back(
            {{"server", o.server.to_string()}, {"mapped", o.mapped.to_string()}});
    j["observations"] = std::move(observations);
    j["verdict"] = verdict(r);
    j["exit_code"] = r.exit_code();
    j["elapsed_ms"] = info.elapsed.count();
    // Replace, not throw, on invalid UTF-8 in a server's SOFTWARE.
    return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

} // namespace rtc::probe_tool

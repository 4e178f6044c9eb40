#pragma once
// The NAT report for people (text) and for scripts (one JSON document, "version": 1).
#include "probe/nat_report.hpp"
#include "probe/server_url.hpp"

#include <chrono>
#include <string>

namespace rtc::probe_tool {

struct NatRunInfo {
    probe::ServerUrl url;
    bool hairpin_asked = false;
    bool lifetime_asked = false;
    std::chrono::milliseconds elapsed{0};
};

std::string nat_text(const probe::NatReport& report, const NatRunInfo& info);
std::string nat_json(const probe::NatReport& report, const NatRunInfo& info);

} // namespace rtc::probe_tool

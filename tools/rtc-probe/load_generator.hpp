#pragma once
// `rtc-probe load stun`'s traffic: STUN Binding requests without attributes (RFC 8489 §5) over
// many UDP sockets, driven by the shared LoadEngine (rate or window, bounded time and count).
#include "load_engine.hpp"

#include "util/ip_address.hpp"

namespace rtc::probe_tool {

struct LoadSettings {
    util::Endpoint server;
    int sockets = 4;
    LoadPacing pacing;
};

// Runs one load. Throws app::ToolError if the sockets cannot be opened.
LoadReport run_stun_load(const LoadSettings& settings);

} // namespace rtc::probe_tool

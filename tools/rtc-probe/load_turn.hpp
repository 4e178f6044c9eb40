#pragma once
// `rtc-probe load turn`'s engine: N allocations on a TURN server over UDP (RFC 8656), each from
// its own socket with a permission and channel 0x4000 bound to one echo peer, then ChannelData
// (RFC 8656 §12.4) at a total rate or with a window in flight per allocation, timed from the
// client through the relay to the peer and back (the shared LoadEngine). The echo peer is
// rtc-probe's own (a UDP socket on the local address that routes to the server) unless a
// --peer is given. Allocations are deleted (Refresh, lifetime 0) at the end, also after a
// failure.
#include "load_engine.hpp"

#include "app/log.hpp"
#include "probe/turn_client.hpp"
#include "util/ip_address.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace rtc::probe_tool {

inline constexpr uint16_t kLoadChannel = 0x4000;    // RFC 8656 §12: the first channel number
inline constexpr std::size_t kMinLoadTurnSize = 12; // the payload carries a 12-byte id

struct TurnLoadSettings {
    util::Endpoint server;
    probe::TurnCredentials credentials;
    std::string software;
    int allocations = 10;
    std::optional<util::Endpoint> peer; // an external echo peer; nullopt: rtc-probe's own
    std::size_t size = 100;             // ChannelData payload bytes
    LoadPacing pacing;
    std::chrono::milliseconds setup_timeout{3000}; // per setup request, retransmissions included
};

struct TurnLoadReport {
    LoadReport load;
    int allocated = 0; // Allocate succeeded
    int ready = 0;     // allocations with their permission and channel
    int released = 0;  // deleted at the end (Refresh, lifetime 0)
    // The first setup failure (None when every allocation was made).
    probe::TurnFailure failure = probe::TurnFailure::None;
    std::string failure_text; // "ChannelBind: 403 Forbidden", ...
    util::Endpoint peer{};    // the echo peer used
    bool own_peer = true;
    uint64_t echoed = 0;                         // datagrams rtc-probe's own peer sent back
    std::optional<util::Endpoint> first_relayed; // one relayed address, for the report
    std::chrono::milliseconds setup_time{0};     // until every allocation was ready or failed
};

// Runs one load. Throws app::ToolError if the sockets cannot be opened.
TurnLoadReport run_turn_load(const TurnLoadSettings& settings, app::Logger& log);

} // namespace rtc::probe_tool

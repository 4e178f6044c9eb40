#pragma once
// The `rtc-probe turn` run: two allocations on one TURN server, a permission and a channel from
// the first to the second's relayed address, numbered datagrams round trip between them
// (ChannelData out, Data indication in; Send indication back, ChannelData in), then Refresh
// with LIFETIME 0 for both (RFC 8656 §7, §8, §9, §11, §12).
#include "turn_connection.hpp"

#include "probe/turn_client.hpp"
#include "probe/turn_relay.hpp"
#include "util/ip_address.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace rtc::tls {
class Context;
}

namespace rtc::probe_tool {

struct TurnProbeSettings {
    TurnTransport transport = TurnTransport::Udp;
    util::Endpoint server{};
    std::string server_name; // for TLS SNI
    std::shared_ptr<const tls::Context> tls;
    probe::TurnCredentials credentials;
    bool rest = false; // credentials from --auth-secret
    std::chrono::milliseconds timeout{3000};
    uint32_t count = 10;
    std::size_t size = 100;
    std::chrono::milliseconds interval{20};
    std::string software;
};

struct TurnReport {
    std::array<std::optional<util::Endpoint>, 2> local;
    std::array<std::optional<util::Endpoint>, 2> relayed;
    std::array<std::optional<util::Endpoint>, 2> mapped;
    uint32_t lifetime = 0;
    std::string realm;
    uint32_t sent = 0;
    uint32_t received = 0;
    double loss_percent = 0.0;
    std::optional<probe::RttSummary> rtt;
    bool released = false; // every allocation made was deleted again
    std::string code;      // empty when the relay works; else why not ("forbidden", ...)
    std::string error;     // one line for people

    bool ok() const { return code.empty(); }
};

TurnReport run_turn_probe(const TurnProbeSettings& settings);

} // namespace rtc::probe_tool

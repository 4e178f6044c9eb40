#pragma once
// What an operator sees of one peer (rtc-sfu's GET /stats): its session, address and, per
// track, what it sent or received. A copy taken on the Router's thread.
#include "sfu/peer.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rtc::sfu {

struct LayerSummary {
    std::string rid; // empty: not simulcast
    uint32_t ssrc = 0;
    uint64_t packets = 0;
    uint64_t bytes = 0;
    uint64_t bitrate_bps = 0; // over the last report interval
    int32_t lost = 0;         // cumulative (RFC 3550 §6.4.1)
    uint32_t jitter = 0;      // RTP timestamp units
};

struct TrackSummary {
    std::string mid;
    MediaKind kind = MediaKind::Audio;
    std::string codec;
    // A publisher's track: its layers.
    std::vector<LayerSummary> layers;
    // A subscriber's track: where it comes from and what was sent.
    std::string source; // the publisher's resource, empty when detached
    std::string stream;
    std::string layer; // the rid forwarded now (simulcast)
    uint32_t ssrc = 0;
    uint64_t packets = 0;
    uint64_t bytes = 0;
    uint8_t fraction_lost = 0; // from the subscriber's last receiver report, /256
    uint64_t remb_bps = 0;
};

struct PeerSummary {
    std::string resource;
    std::string stream;
    PeerRole role = PeerRole::Publisher;
    bool connected = false;
    std::optional<util::Endpoint> address;
    std::chrono::seconds age{0};
    std::vector<TrackSummary> tracks;
};

} // namespace rtc::sfu

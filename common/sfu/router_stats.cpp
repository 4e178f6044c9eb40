// The Router's per-peer summaries (rtc-sfu GET /stats).
#include "sfu/router.hpp"

namespace rtc::sfu {

std::vector<PeerSummary> Router::summaries(TimePoint now) const {
    std::vector<PeerSummary> out;
    out.reserve(peers_.size());
    for (const auto& [id, peer] : peers_) {
        PeerSummary p;
        p.resource = id;
        p.stream = peer->stream;
        p.role = peer->role;
        p.connected = peer->connected;
        p.address = peer->address;
        p.age = std::chrono::duration_cast<std::chrono::seconds>(now - peer->created);
        for (const auto& in : peer->in_tracks) {
            TrackSummary t;
            t.mid = in.mid;
            t.kind = in.kind;
            t.codec = in.codec_name;
            for (const auto& layer : in.layers)
                t.layers.push_back({layer.rid, layer.ssrc, layer.packets, layer.bytes,
                                    layer.bitrate_bps, layer.stats.cumulative_lost(),
                                    layer.stats.jitter()});
            p.tracks.push_back(std::move(t));
        }
        for (const auto& o : peer->out_tracks) {
            TrackSummary t;
            t.mid = o.mid;
            t.kind = o.kind;
            t.codec = o.codec_name;
            t.stream = o.stream;
            t.ssrc = o.ssrc;
            t.packets = o.packets;
            t.bytes = o.octets;
            t.fraction_lost = o.fraction_lost;
            t.remb_bps = o.remb_bps;
            if (o.attached && o.source) {
                t.source = o.source->id;
                const auto& layers = o.source->in_tracks[o.source_track].layers;
                if (o.layer < layers.size())
                    t.layer = layers[o.layer].rid;
            }
            p.tracks.push_back(std::move(t));
        }
        out.push_back(std::move(p));
    }
    return out;
}

} // namespace rtc::sfu

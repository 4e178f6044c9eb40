// The Router's media path: RTP from a publisher to every track it feeds, simulcast
// layer choice and switching (RFC 8853), recording.
#include "rtp/seq.hpp"
#include "sfu/router.hpp"

#include <algorithm>

namespace rtc::sfu {

namespace {

std::string_view text_of(std::span<const uint8_t> bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Which track and layer a packet belongs to: by SSRC once known; else by the rid extension
// (RFC 8852) within the track its mid extension names (RFC 8843 §15); else, for a track that is
// not simulcast, by payload type. Learns the SSRC on the way.
bool find_layer(Peer& publisher, const rtp::RtpView& view, std::size_t& track_index,
                std::size_t& layer_index) {
    auto& tracks = publisher.in_tracks;
    for (std::size_t t = 0; t < tracks.size(); ++t)
        for (std::size_t l = 0; l < tracks[t].layers.size(); ++l)
            if (tracks[t].layers[l].ssrc == view.ssrc()) {
                track_index = t;
                layer_index = l;
                return true;
            }
    for (std::size_t t = 0; t < tracks.size(); ++t) {
        auto& track = tracks[t];
        if (track.payload_type != view.payload_type())
            continue;
        if (track.extensions.mid) {
            auto mid = view.find_extension(track.extensions.mid);
            if (mid && text_of(*mid) != track.mid)
                continue;
        }
        for (std::size_t l = 0; l < track.layers.size(); ++l) {
            auto& layer = track.layers[l];
            if (layer.rid.empty()) {
                if (layer.ssrc != 0 && layer.packets > 0)
                    continue; // that stream already has its SSRC
            } else {
                auto rid =
                    track.extensions.rid ? view.find_extension(track.extensions.rid) : std::nullopt;
                if (!rid || text_of(*rid) != layer.rid)
                    continue;
            }
            layer.ssrc = view.ssrc();
            track_index = t;
            layer_index = l;
            return true;
        }
    }
    return false;
}

} // namespace

void Router::route_rtp(Peer& publisher, std::span<uint8_t> packet, TimePoint now,
                       DatagramSink& sink) {
    auto view = rtp::RtpView::parse(packet);
    if (!view) {
        ++stats_.drops_malformed;
        return;
    }
    std::size_t index = 0;
    std::size_t layer_index = 0;
    if (!find_layer(publisher, *view, index, layer_index) ||
        view->payload_type() != publisher.in_tracks[index].payload_type) {
        ++stats_.drops_malformed;
        return;
    }
    auto& track = publisher.in_tracks[index];
    auto& layer = track.layers[layer_index];
    ++stats_.rtp_in;
    stats_.bytes_in += packet.size();
    ++layer.packets;
    layer.bytes += packet.size();
    const auto arrival = static_cast<uint32_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() *
        track.clock_rate / 1000000);
    layer.stats.update(view->sequence(), view->timestamp(), arrival);
    if (layer.history) {
        layer.nacks.on_packet(view->sequence(), now);
        layer.history->store(view->sequence(), packet);
    }
    const bool keyframe =
        track.kind == MediaKind::Video && rtp::is_keyframe(track.codec, view->payload());
    if (config_.open_recording && layer_index == track.recorded_layer)
        record(publisher, index, layer_index, *view, now, sink);

    auto s = streams_.find(publisher.stream);
    if (s == streams_.end())
        return;
    for (auto* subscriber : s->second.subscribers) {
        if (!subscriber->connected || !subscriber->address)
            continue;
        for (auto& out : subscriber->out_tracks) {
            if (!out.attached || out.source != &publisher || out.source_track != index)
                continue;
            // RFC 8853 §5: one layer at a time; a switch waits for the new layer's keyframe.
            const bool switching = out.started && out.target_layer != out.layer &&
                                   layer_index == out.target_layer && keyframe;
            if (!switching && layer_index != (out.started ? out.layer : out.target_layer))
                continue;
            if (!out.started && out.kind == MediaKind::Video && !keyframe)
                continue;
            if (!out.started || switching) {
                out.started = true;
                out.layer = layer_index;
                // RFC 3550 §5.1: sequence and timestamps continue where the last stream ended.
                if (out.has_sent) {
                    out.sequence_offset =
                        static_cast<uint16_t>(out.last_sequence + 1 - view->sequence());
                    const uint32_t same_base = view->timestamp() + out.timestamp_offset;
                    // Layers of one simulcast source usually share timestamps: keep the
                    // offset when it still lands near the last one sent (within 5 s).
                    if (!switching || static_cast<uint32_t>(same_base - out.last_timestamp +
                                                            5 * 90000) > 10 * 90000)
                        out.timestamp_offset =
                            out.last_timestamp + track.clock_rate / 50 - view->timestamp();
                    out.switch_sequence = static_cast<uint16_t>(out.last_sequence + 1);
                } else {
                    out.switch_sequence = view->sequence();
                }
            }
            forward(*subscriber, out, *view, sink);
        }
    }
}

void Router::forward(Peer& subscriber, OutTrack& out, const rtp::RtpView& packet,
                     DatagramSink& sink) {
    rtp::RewriteParams params;
    params.payload_type = out.payload_type;
    params.sequence = static_cast<uint16_t>(packet.sequence() + out.sequence_offset);
    params.timestamp = packet.timestamp() + out.timestamp_offset;
    params.ssrc = out.ssrc;
    params.extensions = &out.plan;
    const auto size = rtp::rewrite(packet, params,
                                   std::span(out_).first(out_.size() - srtp::Session::kMaxTrailer));
    if (size == 0) {
        ++stats_.drops_malformed;
        return;
    }
    std::size_t length = size;
    if (!subscriber.srtp->protect_rtp(out_, length))
        return;
    sink.send(std::span(out_).first(length), *subscriber.address);
    ++stats_.rtp_out;
    stats_.bytes_out += length;
    ++out.packets;
    out.octets += static_cast<uint32_t>(packet.payload().size());
    if (!out.has_sent || rtp::is_newer(params.sequence, out.last_sequence)) {
        out.last_sequence = params.sequence;
        out.last_timestamp = params.timestamp;
    }
    out.has_sent = true;
}

void Router::record(Peer& publisher, std::size_t index, std::size_t layer_index,
                    const rtp::RtpView& packet, TimePoint now, DatagramSink& sink) {
    auto& track = publisher.in_tracks[index];
    if (track.record_failed || !record::TrackRecorder::supports(track.codec))
        return;
    if (!track.recorder) {
        const auto name = publisher.stream + "-" + publisher.id + "-" + track.mid + "." +
                          std::string(record::TrackRecorder::file_extension(track.codec));
        track.record_sink = config_.open_recording(name);
        if (!track.record_sink) {
            track.record_failed = true;
            ++stats_.recording_failures;
            return;
        }
        ++stats_.recordings;
        record::TrackRecorderConfig rc;
        rc.codec = track.codec;
        rc.clock_rate = track.clock_rate;
        rc.channels = static_cast<uint8_t>(track.channels ? track.channels : 2);
        // Every file of the session starts at the session's time origin, so the tracks line up.
        rc.start_offset_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(now - publisher.created).count();
        track.recorder = std::make_unique<record::TrackRecorder>(rc, *track.record_sink);
    }
    track.recorder->on_rtp(packet);
    if (track.recorder->wants_keyframe())
        request_keyframe(publisher, index, layer_index, now, sink);
}

bool Router::select_layer(std::string_view resource, std::string_view rid) {
    auto it = peers_.find(std::string(resource));
    if (it == peers_.end() || it->second->role != PeerRole::Subscriber)
        return false;
    Peer& subscriber = *it->second;
    const bool automatic = rid.empty() || rid == "auto";
    bool found = false; // "auto" needs a publisher feeding the subscriber
    for (auto& out : subscriber.out_tracks) {
        if (!out.attached || !out.source)
            continue;
        found = found || automatic;
        if (out.kind != MediaKind::Video)
            continue;
        if (automatic) {
            out.fixed_layer = false;
            continue;
        }
        const auto& layers = out.source->in_tracks[out.source_track].layers;
        for (std::size_t l = 0; l < layers.size(); ++l)
            if (layers[l].rid == rid) {
                out.target_layer = l;
                out.fixed_layer = true;
                found = true;
            }
    }
    return found;
}

void Router::subscriber_layers(Stream& stream, TimePoint now, bool report_due, DatagramSink& sink) {
    Peer& publisher = *stream.publisher;
    for (auto* sub : stream.subscribers) {
        if (!sub->connected)
            continue;
        for (auto& out : sub->out_tracks) {
            if (!out.attached || out.source != &publisher || out.kind != MediaKind::Video)
                continue;
            const auto& layers = publisher.in_tracks[out.source_track].layers;
            // A layer the publisher does not send (yet, or any more: browsers drop their
            // largest layers while their bandwidth estimate is low) cannot be waited for.
            auto active = [&](std::size_t l) {
                return layers[l].packets > 0 &&
                       (layers[l].bitrate_bps > 0 || layers[l].bytes_at_report == 0);
            };
            if (!out.fixed_layer && layers.size() > 1 && !active(out.target_layer)) {
                for (std::size_t l = layers.size(); l-- > 0;)
                    if (active(l)) {
                        out.target_layer = l;
                        break;
                    }
            }
            if (report_due && !out.fixed_layer && layers.size() > 1) {
                // The largest layer the subscriber's REMB allows, one step down while it
                // reports more than 10 % loss (RFC 3550 §6.4.1 fraction lost, 26/256).
                std::size_t best = out.target_layer;
                if (out.remb_bps) {
                    std::size_t fit = 0;
                    uint64_t fit_rate = 0;
                    for (std::size_t l = 0; l < layers.size(); ++l)
                        if (active(l) && layers[l].bitrate_bps <= out.remb_bps &&
                            layers[l].bitrate_bps >= fit_rate) {
                            fit = l;
                            fit_rate = layers[l].bitrate_bps;
                        }
                    best = fit;
                }
                if (out.fraction_lost > 26 && best == out.layer) {
                    uint64_t below = 0;
                    for (std::size_t l = 0; l < layers.size(); ++l)
                        if (active(l) && layers[l].bitrate_bps < layers[out.layer].bitrate_bps &&
                            layers[l].bitrate_bps >= below) {
                            best = l;
                            below = layers[l].bitrate_bps;
                        }
                }
                out.target_layer = best;
            }
            // Waiting for a keyframe to start or to switch: ask (again; a PLI may be lost).
            if (!out.started || out.target_layer != out.layer)
                request_keyframe(publisher, out.source_track, out.target_layer, now, sink);
        }
    }
}

} // namespace rtc::sfu

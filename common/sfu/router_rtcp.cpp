// The Router's RTCP: receiver reports and NACKs to publishers, keyframe requests, and the
// feedback of subscribers (PLI, FIR, NACK, RR, REMB) answered or relayed (RFC 3550 §6,
// RFC 4585, RFC 5104).
#include "rtp/rtcp.hpp"
#include "rtp/rtcp_builder.hpp"
#include "rtp/seq.hpp"
#include "sfu/router.hpp"
#include "sfu/router_internal.hpp"

#include <algorithm>
#include <array>

namespace rtc::sfu {

void Router::on_publisher_rtcp(Peer& publisher, std::span<const uint8_t> rtcp, TimePoint now) {
    // A publisher's SR gives the LSR of our receiver reports (RFC 3550 §6.4.1).
    rtp::RtcpIterator packets(rtcp);
    while (auto packet = packets.next()) {
        auto sr = rtp::parse_sender_report(*packet);
        if (!sr)
            continue;
        for (auto& t : publisher.in_tracks)
            for (auto& layer : t.layers)
                if (layer.ssrc == sr->sender_ssrc) {
                    layer.last_sr_middle = rtp::ntp_middle(sr->ntp_timestamp);
                    layer.last_sr_time = now;
                    layer.sr_ntp = sr->ntp_timestamp;
                    layer.sr_rtp = sr->rtp_timestamp;
                }
    }
}

void Router::on_subscriber_rtcp(Peer& subscriber, std::span<const uint8_t> rtcp, TimePoint now,
                                DatagramSink& sink) {
    auto find_out = [&](uint32_t ssrc) -> OutTrack* {
        for (auto& out : subscriber.out_tracks)
            if (out.ssrc == ssrc)
                return &out;
        return nullptr;
    };
    rtp::RtcpIterator packets(rtcp);
    while (auto packet = packets.next()) {
        if (auto rr = rtp::parse_receiver_report(*packet)) {
            for (std::size_t i = 0; i < rr->reports.size(); ++i)
                if (auto* out = find_out(rr->reports[i].ssrc))
                    out->fraction_lost = rr->reports[i].fraction_lost;
            continue;
        }
        auto fb = rtp::parse_feedback(*packet);
        if (!fb)
            continue;
        switch (fb->kind()) {
        case rtp::FeedbackKind::Pli:
        case rtp::FeedbackKind::Fir: {
            // RFC 4585 §6.3.1 / RFC 5104 §4.3.1: relayed to the publisher, throttled.
            uint32_t ssrc = fb->media_ssrc;
            if (fb->kind() == rtp::FeedbackKind::Fir && rtp::fir_count(*fb) > 0)
                ssrc = rtp::fir_entry(*fb, 0).ssrc;
            auto* out = find_out(ssrc);
            if (out && out->attached && out->source)
                request_keyframe(*out->source, out->source_track, out->layer, now, sink);
            break;
        }
        case rtp::FeedbackKind::Remb:
            // draft-alvestrand-rmcat-remb: the estimate covers the SSRCs it lists.
            if (auto remb = rtp::parse_remb(*fb))
                for (std::size_t i = 0; i < remb->size(); ++i)
                    if (auto* out = find_out(remb->ssrc(i)))
                        out->remb_bps = remb->bitrate_bps;
            break;
        case rtp::FeedbackKind::Nack: {
            // RFC 4585 §6.2.1: resend from the publisher layer's history, rewritten for this
            // subscriber again; numbers from before the last layer switch are not ours to map.
            auto* out = find_out(fb->media_ssrc);
            if (!out || !out->attached || !out->started || !out->source || !subscriber.address)
                break;
            auto& layer = out->source->in_tracks[out->source_track].layers[out->layer];
            if (!layer.history)
                break;
            std::array<uint16_t, 64> sequences{};
            const auto n = rtp::nack_sequences(*fb, sequences);
            stats_.nacks_in += n;
            for (std::size_t i = 0; i < n; ++i) {
                if (rtp::is_newer(out->switch_sequence, sequences[i]))
                    continue;
                const auto in_sequence = static_cast<uint16_t>(sequences[i] - out->sequence_offset);
                auto stored = layer.history->find(in_sequence);
                if (stored.empty())
                    continue;
                auto view = rtp::RtpView::parse(stored);
                if (!view)
                    continue;
                forward(subscriber, *out, *view, sink);
                ++stats_.retransmits;
            }
            break;
        }
        default:
            break;
        }
    }
}

void Router::request_keyframe(Peer& publisher, std::size_t index, std::size_t layer_index,
                              TimePoint now, DatagramSink& sink) {
    if (index >= publisher.in_tracks.size())
        return;
    auto& track = publisher.in_tracks[index];
    if (track.kind != MediaKind::Video || layer_index >= track.layers.size())
        return;
    auto& layer = track.layers[layer_index];
    if (layer.ssrc == 0 || !publisher.srtp ||
        now - layer.last_keyframe_request < config_.keyframe_interval)
        return;
    layer.last_keyframe_request = now;
    const auto n = rtp::build_pli(out_, publisher.rtcp_ssrc, layer.ssrc);
    if (n == 0)
        return;
    ++stats_.keyframe_requests;
    send_rtcp(publisher, out_, n, sink);
}

void Router::send_rtcp(Peer& peer, std::span<uint8_t> buffer, std::size_t length,
                       DatagramSink& sink) {
    if (!peer.srtp || !peer.address || !peer.srtp->protect_rtcp(buffer, length))
        return;
    sink.send(buffer.first(length), *peer.address);
    ++stats_.rtcp_out;
}

void Router::publisher_feedback(Peer& publisher, TimePoint now, bool report_due,
                                DatagramSink& sink) {
    // RFC 4585 §6.2.1: NACK the publisher's own losses.
    for (auto& t : publisher.in_tracks)
        for (auto& layer : t.layers) {
            if (!layer.history || layer.ssrc == 0)
                continue;
            std::array<uint16_t, 64> missing{};
            const auto n = layer.nacks.due(now, missing);
            if (n == 0)
                continue;
            std::sort(missing.begin(), missing.begin() + static_cast<std::ptrdiff_t>(n),
                      [](uint16_t a, uint16_t b) { return rtp::is_newer(b, a); });
            const auto size =
                rtp::build_nack(out_, publisher.rtcp_ssrc, layer.ssrc, std::span(missing).first(n));
            if (size) {
                stats_.nacks_out += n;
                send_rtcp(publisher, out_, size, sink);
            }
        }
    if (!report_due)
        return;
    // RFC 3550 §6.4.2: one RR with a block per received stream; the layers' bitrates for the
    // simulcast choice are measured over the same interval.
    std::array<rtp::ReportBlock, rtp::kMaxReportBlocks> blocks{};
    std::size_t count = 0;
    for (auto& t : publisher.in_tracks)
        for (auto& layer : t.layers) {
            layer.bitrate_bps = (layer.bytes - layer.bytes_at_report) * 8;
            layer.bytes_at_report = layer.bytes;
            if (!layer.stats.started() || count == blocks.size())
                continue;
            uint32_t dlsr = 0;
            if (layer.last_sr_middle != 0) {
                const auto delay =
                    std::chrono::duration_cast<std::chrono::microseconds>(now - layer.last_sr_time);
                dlsr = static_cast<uint32_t>(delay.count() * 65536 / 1000000);
            }
            blocks[count++] = layer.stats.report_block(layer.ssrc, layer.last_sr_middle, dlsr);
        }
    if (count == 0)
        return;
    auto n = rtp::build_receiver_report(out_, publisher.rtcp_ssrc, std::span(blocks).first(count));
    // Compound with a REMB for the video streams (RFC 4585 §3.1: feedback after a report).
    std::array<uint32_t, kMaxLayers * 4> video{};
    std::size_t video_count = 0;
    for (const auto& t : publisher.in_tracks)
        for (const auto& layer : t.layers)
            if (t.kind == MediaKind::Video && layer.ssrc && video_count < video.size())
                video[video_count++] = layer.ssrc;
    if (n && video_count)
        n += rtp::build_remb(std::span(out_).subspan(n), publisher.rtcp_ssrc,
                             config_.max_publisher_bitrate, std::span(video).first(video_count));
    if (n)
        send_rtcp(publisher, out_, n, sink);
}

void Router::subscriber_reports(Peer& subscriber, TimePoint now, DatagramSink& sink) {
    // RFC 3550 §6.4.1, per hop: an SR for each stream we send, its NTP/RTP pair taken from the
    // source's last SR moved on to now and into the subscriber's timestamp space, so the
    // receiver can line up audio and video (RFC 3550 §6.4.1 "RTP timestamp"). Each goes in its
    // own compound packet with the SDES CNAME (§6.1) of the answer's a=ssrc lines.
    for (const auto& out : subscriber.out_tracks) {
        if (!out.attached || !out.source || !out.has_sent)
            continue;
        const auto& track = out.source->in_tracks[out.source_track];
        const auto& layer = track.layers[out.layer];
        if (layer.sr_ntp == 0)
            continue;
        const auto elapsed = static_cast<uint64_t>(std::max<int64_t>(
            0, std::chrono::duration_cast<std::chrono::microseconds>(now - layer.last_sr_time)
                   .count()));
        const uint64_t seconds = elapsed / 1'000'000;
        const uint64_t fraction = ((elapsed % 1'000'000) << 32) / 1'000'000;
        rtp::SenderInfo info;
        info.ssrc = out.ssrc;
        info.ntp_timestamp = layer.sr_ntp + (seconds << 32) + fraction;
        info.rtp_timestamp = layer.sr_rtp +
                             static_cast<uint32_t>(elapsed * track.clock_rate / 1'000'000) +
                             out.timestamp_offset;
        info.packet_count = out.packets;
        info.octet_count = out.octets;
        auto n = rtp::build_sender_report(out_, info, {});
        if (n)
            n += rtp::build_sdes_cname(std::span(out_).subspan(n), out.ssrc, detail::kCname);
        if (n)
            send_rtcp(subscriber, out_, n, sink);
    }
}

} // namespace rtc::sfu

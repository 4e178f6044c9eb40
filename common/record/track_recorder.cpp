#include "record/track_recorder.hpp"

#include "record/vp8_payload.hpp"
#include "record/vp9_payload.hpp"

namespace rtc::record {

namespace {

OggOpusConfig ogg_config(const TrackRecorderConfig& c) {
    OggOpusConfig o;
    o.channels = c.channels;
    o.pre_skip = c.opus_pre_skip;
    o.serial = c.ogg_serial;
    return o;
}

WebmConfig webm_config(const TrackRecorderConfig& c) {
    WebmConfig w;
    w.video = c.codec == rtp::Codec::Vp9 ? VideoCodec::Vp9 : VideoCodec::Vp8;
    return w;
}

// Rounded a * b / c for the non-negative and negative tick counts we meet (|a| < 2^40).
int64_t scale(int64_t ticks, int64_t to, int64_t from) {
    const int64_t n = ticks * to;
    return n >= 0 ? (n + from / 2) / from : -((-n + from / 2) / from);
}

} // namespace

bool TrackRecorder::supports(rtp::Codec codec) {
    return codec == rtp::Codec::Opus || codec == rtp::Codec::Vp8 || codec == rtp::Codec::Vp9;
}

std::string_view TrackRecorder::file_extension(rtp::Codec codec) {
    if (codec == rtp::Codec::Opus)
        return "ogg";
    if (codec == rtp::Codec::Vp8 || codec == rtp::Codec::Vp9)
        return "webm";
    return "";
}

TrackRecorder::TrackRecorder(const TrackRecorderConfig& config, ByteSink& sink)
    : config_(config), sink_(sink) {
    if (config_.clock_rate == 0)
        config_.clock_rate = config_.codec == rtp::Codec::Opus ? 48000 : 90000;
    if (codec_is_video()) {
        webm_.emplace(webm_config(config_), sink);
        assembler_.emplace(config_.max_frame_size);
    }
}

bool TrackRecorder::codec_is_video() const {
    return config_.codec == rtp::Codec::Vp8 || config_.codec == rtp::Codec::Vp9;
}

int64_t TrackRecorder::unwrap(uint32_t timestamp) {
    // RFC 3550 §5.1 timestamps wrap at 2^32: extend by the signed distance to the last one.
    if (!have_ts_) {
        have_ts_ = true;
        last_raw_ts_ = timestamp;
        last_ts_ = timestamp;
        return last_ts_;
    }
    const auto delta = static_cast<int32_t>(timestamp - last_raw_ts_);
    const int64_t ts = last_ts_ + delta;
    if (delta > 0) {
        last_raw_ts_ = timestamp;
        last_ts_ = ts;
    }
    return ts;
}

void TrackRecorder::on_rtp(const rtp::RtpView& packet) {
    if (finished_ || !supports(config_.codec))
        return;
    ++stats_.packets;
    const int64_t ts = unwrap(packet.timestamp());
    if (config_.codec == rtp::Codec::Opus)
        on_audio(packet, ts);
    else
        on_video(packet, ts);
}

void TrackRecorder::on_audio(const rtp::RtpView& packet, int64_t ts) {
    if (!have_origin_) {
        have_origin_ = true;
        origin_ = ts;
        // RFC 3533 §6: a serial number unique within the file; the SSRC when none is given.
        OggOpusConfig o = ogg_config(config_);
        if (o.serial == 0)
            o.serial = packet.ssrc();
        ogg_.emplace(o, sink_);
    }
    const int64_t start = scale(ts - origin_, kOpusRate, config_.clock_rate) +
                          config_.start_offset_ms * (kOpusRate / 1000);
    if (ogg_->write_packet(packet.payload(), start))
        ++stats_.frames_written;
    else
        ++stats_.frames_dropped;
}

void TrackRecorder::on_video(const rtp::RtpView& packet, int64_t ts) {
    const auto payload = packet.payload();
    PacketPart part;
    if (config_.codec == rtp::Codec::Vp8) {
        const auto d = parse_vp8_descriptor(payload);
        if (!d) {
            part.discard = true;
        } else {
            part.begins_frame = d->starts_frame();
            part.ends_frame = packet.marker(); // RFC 7741 §4.1: M marks a frame's last packet
            part.data = payload.subspan(d->size);
        }
    } else {
        const auto d = parse_vp9_descriptor(payload);
        if (!d || d->spatial_id != 0) {
            part.discard = true; // only spatial layer 0 is recorded
        } else {
            part.begins_frame = d->begins_frame;
            part.ends_frame = d->ends_frame; // RFC 9628 §4.2: E ends the layer frame
            part.data = payload.subspan(d->size);
        }
    }
    const auto frame = assembler_->push(packet.sequence(), packet.timestamp(), part);
    if (frame)
        write_frame(*frame, ts);
}

void TrackRecorder::write_frame(const AssembledFrame& frame, int64_t ts) {
    const bool vp8 = config_.codec == rtp::Codec::Vp8;
    const bool key = vp8 ? vp8_is_keyframe(frame.data) : vp9_is_keyframe(frame.data);
    if (frame.follows_loss && !key)
        need_keyframe_ = true; // references a lost frame: undecodable until the next keyframe
    if (need_keyframe_ && !key) {
        ++stats_.frames_dropped;
        return;
    }
    if (!have_origin_) {
        have_origin_ = true;
        origin_ = ts;
        const auto size = vp8 ? vp8_keyframe_size(frame.data) : vp9_keyframe_size(frame.data);
        if (size)
            webm_->set_video_size(size->width, size->height);
    }
    const int64_t time_ms = scale(ts - origin_, 1000, config_.clock_rate) + config_.start_offset_ms;
    if (webm_->write_video(frame.data, time_ms, key)) {
        need_keyframe_ = false;
        ++stats_.frames_written;
    } else {
        ++stats_.frames_dropped;
    }
}

void TrackRecorder::finish() {
    if (finished_)
        return;
    finished_ = true;
    if (config_.codec == rtp::Codec::Opus && !ogg_) {
        OggOpusConfig o = ogg_config(config_);
        if (o.serial == 0)
            o.serial = 1;
        ogg_.emplace(o, sink_); // no packet at all: still a valid, empty Ogg Opus file
    }
    if (ogg_)
        ogg_->finish();
    if (webm_)
        webm_->finish();
}

TrackRecorderStats TrackRecorder::stats() const {
    TrackRecorderStats s = stats_;
    if (ogg_)
        s.bytes = ogg_->stats().bytes;
    if (webm_)
        s.bytes = webm_->stats().bytes;
    if (assembler_)
        s.frames_dropped += assembler_->stats().incomplete + assembler_->stats().oversized;
    return s;
}

} // namespace rtc::record

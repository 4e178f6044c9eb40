#include "record/webm_writer.hpp"

#include "record/ebml.hpp"
#include "record/opus_packet.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <limits>

namespace rtc::record {

namespace {

constexpr uint64_t kTimestampScaleNs = 1000000;   // 1 ms per tick (RFC 9559 §5.1.2.1)
constexpr std::size_t kDurationSize = 11;         // ID (2) + size (1) + binary64 (8)
constexpr uint64_t kOpusSeekPreRollNs = 80000000; // 80 ms, as RFC 9559's Opus mapping asks
constexpr int64_t kMaxFrameDurationMs = 1000;
constexpr uint8_t kTrackTypeVideo = 1;
constexpr uint8_t kTrackTypeAudio = 2;

} // namespace

WebmWriter::WebmWriter(const WebmConfig& config, ByteSink& sink) : config_(config), sink_(sink) {
    if (config_.audio_channels < 1 || config_.audio_channels > 2)
        config_.audio_channels = 2;
}

uint8_t WebmWriter::audio_track() const {
    if (!config_.audio)
        return 0;
    return config_.video == VideoCodec::None ? 1 : 2;
}

void WebmWriter::set_video_size(uint16_t width, uint16_t height) {
    if (!header_written_) {
        config_.width = width;
        config_.height = height;
    }
}

void WebmWriter::emit(std::span<const uint8_t> bytes) {
    sink_.write(bytes);
    offset_ += bytes.size();
    stats_.bytes += bytes.size();
}

void WebmWriter::write_header() {
    header_written_ = true;
    namespace id = ebml::id;
    ebml::Writer w;
    // RFC 8794 §11.2 EBML header; DocType "webm" (SimpleBlock needs DocTypeReadVersion 2).
    w.master(id::kEbml, [](ebml::Writer& e) {
        e.uint(id::kEbmlVersion, 1);
        e.uint(id::kEbmlReadVersion, 1);
        e.uint(id::kEbmlMaxIdLength, 4);
        e.uint(id::kEbmlMaxSizeLength, 8);
        e.string(id::kDocType, "webm");
        e.uint(id::kDocTypeVersion, 4);
        e.uint(id::kDocTypeReadVersion, 2);
    });
    // RFC 9559 §6.1 / RFC 8794 §6.2: a Segment of unknown size, so it can be streamed.
    w.id(id::kSegment);
    w.size(ebml::kUnknownSize);
    w.master(id::kInfo, [](ebml::Writer& info) {
        info.uint(id::kTimestampScale, kTimestampScaleNs);
        info.string(id::kMuxingApp, "rtc-tools");
        info.string(id::kWritingApp, "rtc-tools");
        // Room for Duration, filled in on finish() when the sink can seek (RFC 8794 §11.3.1).
        info.id(id::kVoid);
        info.size(kDurationSize - 2);
        const std::array<uint8_t, kDurationSize - 2> zeros{};
        info.raw(zeros);
    });
    duration_at_ = w.position() - kDurationSize;
    const auto config = config_;
    const uint8_t audio_number = audio_track();
    w.master(id::kTracks, [&config, audio_number](ebml::Writer& tracks) {
        if (config.video != VideoCodec::None) {
            tracks.master(id::kTrackEntry, [&config](ebml::Writer& t) {
                t.uint(id::kTrackNumber, 1);
                t.uint(id::kTrackUid, 1);
                t.uint(id::kTrackType, kTrackTypeVideo);
                t.uint(id::kFlagLacing, 0);
                t.string(id::kCodecId, config.video == VideoCodec::Vp9 ? "V_VP9" : "V_VP8");
                if (config.width != 0 && config.height != 0) {
                    t.master(id::kVideo, [&config](ebml::Writer& v) {
                        v.uint(id::kPixelWidth, config.width);
                        v.uint(id::kPixelHeight, config.height);
                    });
                }
            });
        }
        if (audio_number != 0) {
            tracks.master(id::kTrackEntry, [&config, audio_number](ebml::Writer& t) {
                t.uint(id::kTrackNumber, audio_number);
                t.uint(id::kTrackUid, audio_number);
                t.uint(id::kTrackType, kTrackTypeAudio);
                t.uint(id::kFlagLacing, 0);
                t.string(id::kCodecId, "A_OPUS");
                const auto head = make_opus_head(config.audio_channels, config.audio_pre_skip);
                t.binary(id::kCodecPrivate, head);
                // CodecDelay is the pre-skip in ns (Matroska codec mapping for Opus).
                t.uint(id::kCodecDelay, uint64_t{config.audio_pre_skip} * 1000000000 / 48000);
                t.uint(id::kSeekPreRoll, kOpusSeekPreRollNs);
                t.master(id::kAudio, [&config](ebml::Writer& a) {
                    a.float64(id::kSamplingFrequency, 48000.0);
                    a.uint(id::kChannels, config.audio_channels);
                });
            });
        }
    });
    emit(w.bytes());
}

void WebmWriter::start_cluster(int64_t time_ms) {
    // RFC 9559 §5.1.3: Cluster (unknown size: it ends where the next level-1 element begins)
    // and its Timestamp.
    std::array<uint8_t, 4 + 8 + 1 + 1 + 8> b{};
    std::size_t n = ebml::put_id(b.data(), ebml::id::kCluster);
    ebml::put_vint(b.data() + n, ebml::kUnknownSize, 8);
    n += 8;
    n += ebml::put_id(b.data() + n, ebml::id::kTimestamp);
    const auto t = static_cast<uint64_t>(time_ms);
    std::size_t len = 1;
    while (len < 8 && (t >> (8 * len)) != 0)
        ++len;
    b[n++] = static_cast<uint8_t>(0x80 | len);
    for (std::size_t i = 0; i < len; ++i)
        b[n++] = static_cast<uint8_t>(t >> (8 * (len - 1 - i)));
    emit(std::span(b.data(), n));
    cluster_open_ = true;
    cluster_time_ = time_ms;
    cluster_blocks_ = 0;
    ++stats_.clusters;
}

bool WebmWriter::write_video(std::span<const uint8_t> frame, int64_t time_ms, bool keyframe) {
    if (video_track() == 0 || (!video_time_.started && !keyframe)) {
        ++stats_.dropped;
        return false;
    }
    if (!write_block(video_track(), frame, time_ms, keyframe, true, video_time_))
        return false;
    ++stats_.video_frames;
    return true;
}

bool WebmWriter::write_audio(std::span<const uint8_t> opus_packet, int64_t time_ms) {
    if (audio_track() == 0) {
        ++stats_.dropped;
        return false;
    }
    if (!write_block(audio_track(), opus_packet, time_ms, true, false, audio_time_))
        return false;
    const uint32_t samples = opus_packet_samples(opus_packet);
    audio_time_.last_duration = samples / 48; // 48 samples per ms
    ++stats_.audio_frames;
    return true;
}

bool WebmWriter::write_block(uint8_t track, std::span<const uint8_t> frame, int64_t time_ms,
                             bool keyframe, bool video, TrackTime& times) {
    if (finished_ || frame.empty() || time_ms < 0 || (times.started && time_ms < times.last)) {
        ++stats_.dropped;
        return false;
    }
    if (!header_written_)
        write_header();
    // A new cluster on a video keyframe, when the cluster grows long, or when the relative
    // timestamp would not fit its int16 (RFC 9559 §10.1 Block header).
    const int64_t relative = time_ms - cluster_time_;
    if (!cluster_open_ || (video && keyframe && cluster_blocks_ > 0 && relative != 0) ||
        relative >= kClusterSpanMs || relative > std::numeric_limits<int16_t>::max())
        start_cluster(time_ms);
    const int64_t rel = time_ms - cluster_time_;
    if (rel < std::numeric_limits<int16_t>::min()) {
        ++stats_.dropped;
        return false;
    }
    // RFC 9559 §10.2 SimpleBlock: track number (VINT), int16 timestamp, flags (keyframe bit 0x80).
    std::array<uint8_t, 1 + 8 + 4> h{};
    const uint64_t body = frame.size() + 4;
    std::size_t n = ebml::put_id(h.data(), ebml::id::kSimpleBlock);
    const std::size_t size_len = ebml::vint_length(body);
    ebml::put_vint(h.data() + n, body, size_len);
    n += size_len;
    h[n++] = static_cast<uint8_t>(0x80 | track);
    const auto r = static_cast<uint16_t>(static_cast<int16_t>(rel));
    h[n++] = static_cast<uint8_t>(r >> 8);
    h[n++] = static_cast<uint8_t>(r);
    h[n++] = keyframe ? 0x80 : 0x00;
    emit(std::span(h.data(), n));
    emit(frame);
    ++cluster_blocks_;
    if (video && times.started) // the last frame lasts as long as the one before (capped)
        times.last_duration = std::min<int64_t>(time_ms - times.last, kMaxFrameDurationMs);
    times.started = true;
    times.last = time_ms;
    return true;
}

double WebmWriter::duration_ms() const {
    double end = 0;
    for (const TrackTime* t : {&video_time_, &audio_time_})
        if (t->started)
            end = std::max(end, static_cast<double>(t->last + t->last_duration));
    return end;
}

void WebmWriter::finish() {
    if (finished_)
        return;
    if (!header_written_)
        write_header();
    finished_ = true;
    // RFC 9559 §5.1.2.3 Duration (float, in TimestampScale units) over the reserved Void.
    std::array<uint8_t, kDurationSize> d{0x44, 0x89, 0x88};
    const auto bits = std::bit_cast<uint64_t>(duration_ms());
    for (int i = 0; i < 8; ++i)
        d[3 + i] = static_cast<uint8_t>(bits >> (8 * (7 - i)));
    // The Segment keeps its unknown size: a known-size Segment around unknown-size Clusters is
    // an error to FFmpeg ("Unknown-sized element inside parent with finite size").
    sink_.overwrite(duration_at_, d);
}

} // namespace rtc::record

#pragma once
// Streaming WebM writer (Matroska, RFC 9559, WebM's subset): EBML header, a Segment of unknown
// size, Info (1 ms timestamps), Tracks (one VP8/VP9 video track, optionally one Opus track),
// then Clusters of unknown size holding SimpleBlocks, so the file can be written as media
// arrives. On finish(), a sink that can overwrite gets the Duration.
#include "record/byte_sink.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

namespace rtc::record {

enum class VideoCodec { None, Vp8, Vp9 };

struct WebmConfig {
    VideoCodec video = VideoCodec::Vp8; // None: an audio-only file
    uint16_t width = 0;                 // 0: unknown (set_video_size before the first frame)
    uint16_t height = 0;
    bool audio = false; // an A_OPUS track
    uint8_t audio_channels = 2;
    uint16_t audio_pre_skip = 0;
};

struct WebmStats {
    uint64_t video_frames = 0;
    uint64_t audio_frames = 0;
    uint64_t dropped = 0; // frames refused (see write_video / write_audio)
    uint64_t clusters = 0;
    uint64_t bytes = 0;
};

class WebmWriter {
public:
    // A new cluster starts on each video keyframe or once a cluster spans this long.
    static constexpr int64_t kClusterSpanMs = 5000;

    WebmWriter(const WebmConfig& config, ByteSink& sink);
    WebmWriter(const WebmWriter&) = delete;
    WebmWriter& operator=(const WebmWriter&) = delete;

    // The header is written with the first frame; a size set later is ignored.
    void set_video_size(uint16_t width, uint16_t height);

    // time_ms: the frame's time in milliseconds from the start of the file. A track's times must
    // not go backwards; the first video frame must be a keyframe. Returns false (a drop) when
    // the frame breaks those rules, the track does not exist, or after finish().
    bool write_video(std::span<const uint8_t> frame, int64_t time_ms, bool keyframe);
    bool write_audio(std::span<const uint8_t> opus_packet, int64_t time_ms);
    // Writes the header if nothing was written yet; writes Duration over the space reserved for
    // it when the sink can overwrite. Idempotent.
    void finish();

    uint8_t video_track() const { return config_.video == VideoCodec::None ? 0 : 1; }
    uint8_t audio_track() const;
    // End of the media in ms (last frame time plus its duration), as written into Duration.
    double duration_ms() const;
    const WebmStats& stats() const { return stats_; }

private:
    struct TrackTime {
        bool started = false;
        int64_t last = 0;
        int64_t last_duration = 0;
    };

    void write_header();
    bool write_block(uint8_t track, std::span<const uint8_t> frame, int64_t time_ms, bool keyframe,
                     bool video, TrackTime& times);
    void start_cluster(int64_t time_ms);
    void emit(std::span<const uint8_t> bytes);

    WebmConfig config_;
    ByteSink& sink_;
    WebmStats stats_;
    TrackTime video_time_;
    TrackTime audio_time_;
    uint64_t offset_ = 0;
    uint64_t duration_at_ = 0; // offset of the Void that Duration replaces on finish()
    int64_t cluster_time_ = 0;
    uint32_t cluster_blocks_ = 0;
    bool cluster_open_ = false;
    bool header_written_ = false;
    bool finished_ = false;
};

} // namespace rtc::record

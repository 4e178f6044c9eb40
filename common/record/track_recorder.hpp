#pragma once
// Records one received RTP track (already decrypted) into a file as it arrives: Opus into Ogg
// (RFC 7845), VP8/VP9 into WebM. Times come from the RTP timestamps (RFC 3550 §5.1), relative
// to the track's first packet (audio) or first keyframe (video), plus a start offset the caller
// may use to line up several tracks' files. Memory is bounded by the frame size cap.
#include "record/byte_sink.hpp"
#include "record/frame_assembler.hpp"
#include "record/ogg_opus_writer.hpp"
#include "record/webm_writer.hpp"
#include "rtp/keyframe.hpp"
#include "rtp/packet.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace rtc::record {

struct TrackRecorderConfig {
    rtp::Codec codec = rtp::Codec::Opus;
    uint32_t clock_rate = 0; // 0: 48000 for Opus (RFC 7587), 90000 for video (RFC 7741, 9628)
    uint8_t channels = 2;    // Opus: from the SDP's opus/48000/2
    uint16_t opus_pre_skip = 0;
    uint32_t ogg_serial = 0;                           // 0: the SSRC of the first packet
    std::size_t max_frame_size = std::size_t{4} << 20; // a larger video frame is dropped
    int64_t start_offset_ms = 0; // media time of the first packet / keyframe in the file
};

struct TrackRecorderStats {
    uint64_t packets = 0;        // RTP packets given to on_rtp()
    uint64_t frames_written = 0; // Opus packets or video frames written
    uint64_t frames_dropped = 0; // refused, incomplete, oversized or waiting for a keyframe
    uint64_t bytes = 0;          // bytes given to the sink
};

class TrackRecorder {
public:
    TrackRecorder(const TrackRecorderConfig& config, ByteSink& sink);
    TrackRecorder(const TrackRecorder&) = delete;
    TrackRecorder& operator=(const TrackRecorder&) = delete;

    // Opus, VP8 and VP9; other codecs record nothing.
    static bool supports(rtp::Codec codec);
    // "ogg", "webm", or "" for an unsupported codec.
    static std::string_view file_extension(rtp::Codec codec);

    void on_rtp(const rtp::RtpView& packet);
    // Ends the file (Ogg end-of-stream page; WebM Duration when the sink can seek). Idempotent.
    void finish();

    // Video: true while frames are skipped until a keyframe (the SFU may send a PLI).
    bool wants_keyframe() const { return need_keyframe_ && codec_is_video(); }
    TrackRecorderStats stats() const;

private:
    bool codec_is_video() const;
    int64_t unwrap(uint32_t timestamp);
    void on_audio(const rtp::RtpView& packet, int64_t ts);
    void on_video(const rtp::RtpView& packet, int64_t ts);
    void write_frame(const AssembledFrame& frame, int64_t ts);

    TrackRecorderConfig config_;
    ByteSink& sink_;
    std::optional<OggOpusWriter> ogg_; // made on the first packet (its SSRC may be the serial)
    std::optional<WebmWriter> webm_;
    std::optional<FrameAssembler> assembler_;
    TrackRecorderStats stats_;
    int64_t last_ts_ = 0; // unwrapped RTP timestamp of the last packet
    int64_t origin_ = 0;  // unwrapped RTP timestamp at media time start_offset_ms
    uint32_t last_raw_ts_ = 0;
    bool have_ts_ = false;
    bool have_origin_ = false;
    bool need_keyframe_ = true;
    bool finished_ = false;
};

} // namespace rtc::record

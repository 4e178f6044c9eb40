#pragma once
// Ogg Opus file writer (RFC 7845 on the Ogg framing of RFC 3533), fed one Opus packet at a time
// with its start time in 48 kHz samples. The granule position follows those times: gaps (lost
// packets, DTX) are filled with empty-frame packets the decoder conceals, so every page's
// granule equals the decoded sample count and players see RTP time.
#include "record/byte_sink.hpp"
#include "record/opus_packet.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace rtc::record {

struct OggOpusConfig {
    uint8_t channels = 2;                   // 1 or 2 (mapping family 0); opus/48000/2 in WebRTC SDP
    uint16_t pre_skip = 0;                  // RFC 7845 §5.1; 0 keeps audio aligned with RTP time
    uint32_t serial = 1;                    // RFC 3533 §6 bitstream serial number
    uint32_t input_sample_rate = kOpusRate; // informational, RFC 7845 §5.1
    // A larger jump in time (either way) is taken as a discontinuity: the packet then follows
    // the previous one directly instead of being padded out or dropped.
    int64_t max_gap_samples = int64_t{300} * kOpusRate;
};

struct OggOpusStats {
    uint64_t packets = 0;        // packets written
    uint64_t filler_packets = 0; // gap fillers written
    uint64_t dropped = 0;        // malformed, too large, or before already written time
    uint64_t pages = 0;
    uint64_t bytes = 0;
};

class OggOpusWriter {
public:
    // Largest packet that fits one page (255 lacing values, RFC 3533 §6).
    static constexpr std::size_t kMaxPacket = 255 * 254;
    // A page is ended before the next packet once it spans this much time.
    static constexpr int64_t kPageSpan = 48000;

    OggOpusWriter(const OggOpusConfig& config, ByteSink& sink);
    OggOpusWriter(const OggOpusWriter&) = delete;
    OggOpusWriter& operator=(const OggOpusWriter&) = delete;

    // start_sample: the packet's start in 48 kHz samples from the start of the file. Returns false
    // (and counts a drop) when the packet is malformed, too large, or starts before the end of
    // the audio already written (duplicates, late reordered packets).
    bool write_packet(std::span<const uint8_t> packet, int64_t start_sample);
    // Ends the current page so everything so far is in the output.
    void flush();
    // Writes the last page with the end-of-stream flag (RFC 3533 §6). Idempotent.
    void finish();

    // Decoded samples written so far (the granule position minus pre-skip).
    int64_t end_sample() const { return end_sample_; }
    const OggOpusStats& stats() const { return stats_; }

private:
    void write_headers();
    void fill_gap(int64_t samples);
    void append(std::span<const uint8_t> packet, uint32_t samples);
    void end_page(uint8_t flags);
    void emit_page(uint8_t flags, int64_t granule, std::span<const uint8_t> lacing,
                   std::span<const uint8_t> body);

    OggOpusConfig config_;
    ByteSink& sink_;
    OggOpusStats stats_;
    std::vector<uint8_t> body_; // reserved once to the largest page body
    std::array<uint8_t, 255> lacing_{};
    std::size_t lacing_count_ = 0;
    int64_t page_start_ = 0; // decoded sample at which the current page's first packet starts
    int64_t end_sample_ = 0; // decoded samples so far
    int64_t rtp_offset_ = 0; // subtracted from start times after a discontinuity
    uint32_t sequence_ = 0;  // page sequence number
    bool headers_written_ = false;
    bool any_packet_ = false;
    bool finished_ = false;
};

} // namespace rtc::record

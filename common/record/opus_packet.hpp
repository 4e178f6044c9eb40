#pragma once
// What the recorders need to know about Opus packets (RFC 6716) and the Opus identification
// header shared by Ogg (RFC 7845 §5.1) and Matroska (CodecPrivate of A_OPUS).
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace rtc::record {

inline constexpr uint32_t kOpusRate = 48000;      // RFC 7845 §4: granule positions at 48 kHz
inline constexpr uint32_t kOpusMaxSamples = 5760; // RFC 6716 §3.2.5: at most 120 ms a packet
inline constexpr std::size_t kOpusHeadSize = 19;  // RFC 7845 §5.1, channel mapping family 0
inline constexpr std::size_t kOpusFillerSize = 2; // see opus_filler_packet

// Duration of a packet in 48 kHz samples from its TOC byte (RFC 6716 §3.1) and, for code 3,
// the frame count byte (§3.2.5). 0 when the packet is empty or malformed.
uint32_t opus_packet_samples(std::span<const uint8_t> packet);

// RFC 7845 §5.1 "OpusHead": version 1, channel count (1 or 2; family 0), pre-skip, input rate,
// output gain 0, mapping family 0.
std::array<uint8_t, kOpusHeadSize> make_opus_head(uint8_t channels, uint16_t pre_skip,
                                                  uint32_t input_sample_rate = kOpusRate);

// A 2-byte packet of `frames` empty CELT frames (RFC 6716 §3.2.5 code 3, CBR, no padding). An
// empty frame tells the decoder the audio is missing (§3.2.1: it conceals, as for a lost
// packet), so these fill timestamp gaps (loss, DTX) and keep the decoded timeline on RTP time.
// frame_samples: 120 (2.5 ms) or 960 (20 ms); frames * frame_samples <= kOpusMaxSamples.
std::array<uint8_t, kOpusFillerSize> opus_filler_packet(uint32_t frame_samples, uint8_t frames);

} // namespace rtc::record

#pragma once
// The SFU's forwarding hot path: copy a publisher's RTP packet into a caller buffer with a new
// payload type, sequence, timestamp, SSRC and a remapped header-extension block (RFC 8285).
#include "rtp/packet.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace rtc::rtp {

inline constexpr std::size_t kMaxExtraExtensions = 4;
inline constexpr std::size_t kMaxExtraValueSize = 32;

// An extension to append to every rewritten packet, e.g. the subscriber's sdes:mid (RFC 8843 §15).
struct ExtraExtension {
    uint8_t id = 0;
    uint8_t size = 0;
    std::array<uint8_t, kMaxExtraValueSize> value{};
    std::span<const uint8_t> bytes() const {
        return {value.data(), size < kMaxExtraValueSize ? size : kMaxExtraValueSize};
    }
};

// Maps publisher extension ids to subscriber ids (0 = drop; all dropped by default) and lists
// extensions to add. Plain value type, no allocation; build once per subscriber.
struct ExtensionPlan {
    std::array<uint8_t, 256> map{};
    std::array<ExtraExtension, kMaxExtraExtensions> extras{};
    std::size_t extra_count = 0;

    // from/to in 1..255 (to 0 drops). Returns false for from == 0.
    bool map_id(uint8_t from, uint8_t to);
    // id in 1..255, value up to kMaxExtraValueSize bytes; false if full or out of range.
    bool add_extra(uint8_t id, std::span<const uint8_t> value);
};

struct RewriteParams {
    uint8_t payload_type = 0;
    uint16_t sequence = 0;
    uint32_t timestamp = 0;
    uint32_t ssrc = 0;
    std::optional<bool> marker; // nullopt keeps the publisher's marker bit
    // nullptr copies the publisher's extension block unchanged; otherwise the block is rebuilt:
    // one-byte form when every output id <= 14 and value <= 16 bytes (and non-empty), else the
    // two-byte form; zero-padded to 32 bits (RFC 8285 §4.1). No elements -> no X bit.
    const ExtensionPlan* extensions = nullptr;
    bool keep_csrcs = true;
    bool keep_padding = false; // RFC 3550 §5.1 padding is dropped unless asked for
};

// Writes the rewritten packet into out; returns its length, 0 if it does not fit.
// Elements of a malformed publisher extension block after the error are not copied.
// out must not overlap the input packet.
std::size_t rewrite(const RtpView& in, const RewriteParams& params, std::span<uint8_t> out);

// In-place edits of the fixed header (RFC 3550 §5.1); false if the buffer is under 12 bytes.
bool set_sequence(std::span<uint8_t> packet, uint16_t sequence);
bool set_timestamp(std::span<uint8_t> packet, uint32_t timestamp);
bool set_ssrc(std::span<uint8_t> packet, uint32_t ssrc);
bool set_payload_type(std::span<uint8_t> packet, uint8_t payload_type); // keeps the marker
bool set_marker(std::span<uint8_t> packet, bool marker);

} // namespace rtc::rtp

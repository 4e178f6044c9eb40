#pragma once
// Reassembles video frames from the RTP packets of one stream, whatever the codec: the codec's
// payload descriptor says where a frame begins and ends, this checks that the packets between
// are consecutive by sequence number (RFC 3550 §5.1) and share one timestamp. A frame with a
// missing packet is dropped, and the next complete frame says that loss came before it, so the
// caller can wait for a keyframe. No reordering: a late packet counts as lost.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace rtc::record {

struct PacketPart {
    bool begins_frame = false;
    bool ends_frame = false;
    bool discard = false;          // counts for continuity, adds nothing (a layer not recorded)
    std::span<const uint8_t> data; // the codec payload after the descriptor
};

struct AssembledFrame {
    std::span<const uint8_t> data; // valid until the next push()
    uint32_t rtp_timestamp = 0;
    bool follows_loss = false; // packets were lost since the previous complete frame
};

struct FrameAssemblerStats {
    uint64_t frames = 0;
    uint64_t incomplete = 0; // frames dropped for a missing packet
    uint64_t oversized = 0;  // frames dropped for exceeding the size cap
    uint64_t stale = 0;      // duplicate or late packets ignored
};

class FrameAssembler {
public:
    explicit FrameAssembler(std::size_t max_frame_size);

    std::optional<AssembledFrame> push(uint16_t sequence, uint32_t timestamp,
                                       const PacketPart& part);
    const FrameAssemblerStats& stats() const { return stats_; }

private:
    void abandon();

    std::vector<uint8_t> buffer_; // grows up to max_frame_size_, then reused
    std::size_t max_frame_size_;
    FrameAssemblerStats stats_;
    uint32_t timestamp_ = 0;
    uint16_t last_sequence_ = 0;
    bool have_sequence_ = false;
    bool in_frame_ = false;
    bool loss_ = false;
};

} // namespace rtc::record

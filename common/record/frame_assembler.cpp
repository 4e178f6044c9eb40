#include "record/frame_assembler.hpp"

namespace rtc::record {

FrameAssembler::FrameAssembler(std::size_t max_frame_size) : max_frame_size_(max_frame_size) {}

void FrameAssembler::abandon() {
    if (in_frame_)
        ++stats_.incomplete;
    in_frame_ = false;
    loss_ = true;
    buffer_.clear();
}

std::optional<AssembledFrame> FrameAssembler::push(uint16_t sequence, uint32_t timestamp,
                                                   const PacketPart& part) {
    if (have_sequence_) {
        // RFC 3550 §5.1 sequence numbers wrap: compare as a signed 16-bit distance.
        const auto delta = static_cast<int16_t>(static_cast<uint16_t>(sequence - last_sequence_));
        if (delta <= 0) {
            ++stats_.stale; // duplicate, or late after we gave up on it
            return std::nullopt;
        }
        if (delta > 1)
            abandon(); // packets missing in between
    }
    have_sequence_ = true;
    last_sequence_ = sequence;
    if (part.discard)
        return std::nullopt;

    if (part.begins_frame) {
        if (in_frame_)
            abandon(); // the previous frame never ended
        in_frame_ = true;
        timestamp_ = timestamp;
        buffer_.clear();
    } else if (!in_frame_) {
        return std::nullopt; // the middle of a frame whose start we lost
    } else if (timestamp != timestamp_) {
        abandon();
        return std::nullopt;
    }
    if (part.data.size() > max_frame_size_ - buffer_.size()) {
        ++stats_.oversized;
        in_frame_ = false;
        loss_ = true;
        buffer_.clear();
        return std::nullopt;
    }
    buffer_.insert(buffer_.end(), part.data.begin(), part.data.end());
    if (!part.ends_frame)
        return std::nullopt;
    in_frame_ = false;
    ++stats_.frames;
    AssembledFrame frame{buffer_, timestamp_, loss_};
    loss_ = false;
    return frame;
}

} // namespace rtc::record

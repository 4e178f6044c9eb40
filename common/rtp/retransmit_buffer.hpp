#pragma once
// Recently sent RTP packets, kept to answer generic NACKs (RFC 4585 §6.2.1, RFC 4588).
// All memory is allocated at construction; store() and find() never allocate.
#include "rtp/seq.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace rtc::rtp {

class RetransmitBuffer {
public:
    // capacity is rounded up to a power of two (at least 1); packets longer than
    // max_packet_size are not stored.
    explicit RetransmitBuffer(std::size_t capacity = 512, std::size_t max_packet_size = 1500);

    // Copies the packet into the slot for this sequence number, replacing what was there.
    // False (nothing stored) if the packet is too large.
    bool store(uint16_t sequence, std::span<const uint8_t> packet);
    // The stored packet for this sequence, or empty if never stored or already overwritten.
    std::span<const uint8_t> find(uint16_t sequence) const;
    void clear();

    std::size_t capacity() const { return mask_ + 1; }
    std::size_t max_packet_size() const { return max_packet_size_; }

private:
    struct Slot {
        int64_t extended = -1;
        std::size_t size = 0;
    };
    std::size_t mask_ = 0;
    std::size_t max_packet_size_ = 0;
    std::unique_ptr<Slot[]> slots_;
    std::unique_ptr<uint8_t[]> storage_;
    SequenceUnwrapper unwrapper_;
};

} // namespace rtc::rtp

#include "rtp/retransmit_buffer.hpp"

#include <cstring>

namespace rtc::rtp {

namespace {
std::size_t round_up_pow2(std::size_t n) {
    std::size_t p = 1;
    while (p < n && p < (std::size_t{1} << 20))
        p <<= 1;
    return p;
}
} // namespace

RetransmitBuffer::RetransmitBuffer(std::size_t capacity, std::size_t max_packet_size)
    : mask_(round_up_pow2(capacity) - 1), max_packet_size_(max_packet_size),
      slots_(std::make_unique<Slot[]>(mask_ + 1)),
      storage_(std::make_unique<uint8_t[]>((mask_ + 1) * max_packet_size)) {}

bool RetransmitBuffer::store(uint16_t sequence, std::span<const uint8_t> packet) {
    if (packet.size() > max_packet_size_)
        return false;
    const int64_t extended = unwrapper_.unwrap(sequence);
    Slot& slot = slots_[sequence & mask_];
    slot.extended = extended;
    slot.size = packet.size();
    if (!packet.empty())
        std::memcpy(storage_.get() + (sequence & mask_) * max_packet_size_, packet.data(),
                    packet.size());
    return true;
}

std::span<const uint8_t> RetransmitBuffer::find(uint16_t sequence) const {
    const auto extended = unwrapper_.peek(sequence);
    if (!extended)
        return {};
    const Slot& slot = slots_[sequence & mask_];
    if (slot.extended != *extended)
        return {};
    return {storage_.get() + (sequence & mask_) * max_packet_size_, slot.size};
}

void RetransmitBuffer::clear() {
    for (std::size_t i = 0; i <= mask_; ++i)
        slots_[i] = Slot{};
    unwrapper_.reset();
}

} // namespace rtc::rtp

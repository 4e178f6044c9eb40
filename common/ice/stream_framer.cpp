#include "ice/stream_framer.hpp"

#include <algorithm>

namespace rtc::ice {

namespace {

constexpr std::size_t kStunHeader = 20;       // RFC 8489 §5
constexpr std::size_t kChannelDataHeader = 4; // RFC 8656 §12.4

std::size_t padded(std::size_t n) {
    return (n + 3) & ~std::size_t{3};
}

} // namespace

StreamFramer::StreamFramer() : buffer_(kCapacity) {}

std::span<uint8_t> StreamFramer::write_area() {
    if (error_)
        return {};
    if (begin_ > 0) { // keep the partial message at the front
        std::copy(buffer_.begin() + static_cast<std::ptrdiff_t>(begin_),
                  buffer_.begin() + static_cast<std::ptrdiff_t>(end_), buffer_.begin());
        end_ -= begin_;
        begin_ = 0;
    }
    return std::span<uint8_t>(buffer_).subspan(end_);
}

void StreamFramer::commit(std::size_t n) {
    end_ = std::min(buffer_.size(), end_ + n);
}

std::optional<std::span<const uint8_t>> StreamFramer::next() {
    if (error_)
        return std::nullopt;
    const std::size_t available = end_ - begin_;
    if (available < kChannelDataHeader)
        return std::nullopt;
    const uint8_t* p = buffer_.data() + begin_;
    const std::size_t length = (std::size_t{p[2]} << 8) | p[3];
    std::size_t message = 0;
    std::size_t consumed = 0;
    switch (p[0] >> 6) {
    case 0: // RFC 8489 §5: a STUN message, its length excludes the header
        message = kStunHeader + length;
        consumed = message;
        break;
    case 1: // RFC 8656 §12: channel numbers 0x4000-0x4FFF
        message = kChannelDataHeader + length;
        consumed = padded(message); // RFC 8656 §12.5
        break;
    default:
        error_ = true;
        return std::nullopt;
    }
    if (available < consumed)
        return std::nullopt;
    std::span<const uint8_t> out(p, message);
    begin_ += consumed;
    return out;
}

std::size_t StreamFramer::pad_for_stream(std::vector<uint8_t>& bytes) {
    if (!bytes.empty() && (bytes[0] >> 6) == 1)
        bytes.resize(padded(bytes.size()), 0);
    return bytes.size();
}

} // namespace rtc::ice

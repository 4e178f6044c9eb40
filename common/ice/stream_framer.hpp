#pragma once
// Framing of STUN messages and ChannelData on a stream (TURN over TCP, RFC 8656 §12.5 and
// RFC 8489 §6.2.2). Sans-I/O: the caller reads into write_area(), commits the count, then takes
// whole messages with next(). A STUN message is 20 + its length octets; ChannelData is 4 + its
// length, padded to a multiple of 4 on a stream (the padding is consumed, not returned).
// Anything else (the first two bits 10 or 11) means the stream lost its framing: error() is set
// and the connection should be closed.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace rtc::ice {

class StreamFramer {
public:
    // The largest message kept: a STUN length is 16 bits, so 20 + 65535 bytes always fit.
    static constexpr std::size_t kCapacity = 20 + 65535 + 3;

    StreamFramer();

    // Free space after the buffered bytes (empty only once error() is set).
    std::span<uint8_t> write_area();
    void commit(std::size_t n); // `n` bytes were written into write_area()

    // The next complete message, a view valid until the next write_area() call.
    std::optional<std::span<const uint8_t>> next();
    bool error() const { return error_; }

    // RFC 8656 §12.5: ChannelData sent on a stream is padded to a multiple of 4 octets. Returns
    // the padded size; `bytes` is extended with zeros. STUN messages are left as they are.
    static std::size_t pad_for_stream(std::vector<uint8_t>& bytes);

private:
    std::vector<uint8_t> buffer_;
    std::size_t begin_ = 0; // first unread byte
    std::size_t end_ = 0;   // one past the last buffered byte
    bool error_ = false;
};

} // namespace rtc::ice

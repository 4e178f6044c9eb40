#include "tls/client_hello_reassembly.hpp"

#include <algorithm>

namespace rtc::tls {

namespace {

constexpr std::size_t kRecordHeader = 13;    // RFC 6347 §4.1
constexpr std::size_t kHandshakeHeader = 12; // RFC 6347 §4.2.2
constexpr uint8_t kHandshake = 22;
constexpr uint8_t kClientHello = 1;

uint32_t u24(const uint8_t* p) {
    return (uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | p[2];
}
void put24(uint8_t* p, std::size_t v) {
    p[0] = static_cast<uint8_t>(v >> 16);
    p[1] = static_cast<uint8_t>(v >> 8);
    p[2] = static_cast<uint8_t>(v);
}

struct Fragment {
    uint16_t record_version;
    const uint8_t* sequence; // 6 bytes
    uint16_t message_seq;
    std::size_t length;
    std::size_t offset;
    std::span<const uint8_t> data;
};

// The ClientHello fragment in one record (`record` starts at its header), if it is one.
bool parse_fragment(std::span<const uint8_t> record, Fragment& f) {
    if (record.size() < kRecordHeader + kHandshakeHeader || record[0] != kHandshake ||
        record[3] != 0 || record[4] != 0) // epoch 0
        return false;
    const auto* h = record.data() + kRecordHeader;
    if (h[0] != kClientHello)
        return false;
    f.record_version = static_cast<uint16_t>((record[1] << 8) | record[2]);
    f.sequence = record.data() + 5;
    f.length = u24(h + 1);
    f.message_seq = static_cast<uint16_t>((h[4] << 8) | h[5]);
    f.offset = u24(h + 6);
    const std::size_t fragment_length = u24(h + 9);
    const std::size_t record_length = (std::size_t{record[11]} << 8) | record[12];
    if (record_length != kHandshakeHeader + fragment_length ||
        record.size() < kRecordHeader + record_length || f.offset + fragment_length > f.length)
        return false;
    f.data = record.subspan(kRecordHeader + kHandshakeHeader, fragment_length);
    return true;
}

} // namespace

ClientHelloReassembly::Result ClientHelloReassembly::feed(std::span<const uint8_t> datagram) {
    Fragment first{};
    if (!parse_fragment(datagram, first))
        return {};
    if (!started_ && first.offset == 0 && first.data.size() == first.length)
        return {}; // whole: mbedTLS takes it as it is
    if (first.length > kMaxClientHello)
        return {Kind::Drop, {}};
    if (!started_ || first.message_seq != message_seq_ || first.length != length_) {
        // A new (or retransmitted, RFC 6347 §4.2.4) ClientHello: start over.
        started_ = true;
        record_version_ = first.record_version;
        std::copy_n(first.sequence, 6, first_sequence_);
        message_seq_ = first.message_seq;
        length_ = first.length;
        body_.assign(length_, 0);
        have_.assign(length_, false);
        covered_ = 0;
    }
    // Every ClientHello fragment record of the datagram (RFC 6347 §4.1.1: several per datagram).
    std::size_t pos = 0;
    while (pos + kRecordHeader <= datagram.size()) {
        const auto record = datagram.subspan(pos);
        const std::size_t record_length = (std::size_t{record[11]} << 8) | record[12];
        if (kRecordHeader + record_length > record.size())
            break;
        Fragment f{};
        if (parse_fragment(record, f) && f.message_seq == message_seq_ && f.length == length_) {
            for (std::size_t i = 0; i < f.data.size(); ++i) {
                body_[f.offset + i] = f.data[i];
                if (!have_[f.offset + i]) {
                    have_[f.offset + i] = true;
                    ++covered_;
                }
            }
        }
        pos += kRecordHeader + record_length;
    }
    if (covered_ < length_)
        return {Kind::Pending, {}};

    // One record of epoch 0 with the whole message (fragment_offset 0, fragment_length = length).
    record_.assign(kRecordHeader + kHandshakeHeader + length_, 0);
    auto* r = record_.data();
    r[0] = kHandshake;
    r[1] = static_cast<uint8_t>(record_version_ >> 8);
    r[2] = static_cast<uint8_t>(record_version_);
    std::copy_n(first_sequence_, 6, r + 5); // r[3..4]: epoch 0
    const std::size_t record_length = kHandshakeHeader + length_;
    r[11] = static_cast<uint8_t>(record_length >> 8);
    r[12] = static_cast<uint8_t>(record_length);
    auto* h = r + kRecordHeader;
    h[0] = kClientHello;
    put24(h + 1, length_);
    h[4] = static_cast<uint8_t>(message_seq_ >> 8);
    h[5] = static_cast<uint8_t>(message_seq_);
    put24(h + 6, 0);
    put24(h + 9, length_);
    std::copy(body_.begin(), body_.end(), h + kHandshakeHeader);
    started_ = false;
    body_ = {};
    have_ = {};
    return {Kind::Complete, record_};
}

} // namespace rtc::tls

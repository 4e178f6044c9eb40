#include "stun/builder.hpp"

#include "stun/integrity.hpp"

namespace rtc::stun {

MessageBuilder::MessageBuilder(std::span<uint8_t> buffer, Method method, MessageClass cls,
                               const TransactionId &transaction_id, uint32_t cookie)
    : MessageBuilder(buffer, message_type(method, cls), transaction_id, cookie) {}

MessageBuilder::MessageBuilder(std::span<uint8_t> buffer, uint16_t type,
                               const TransactionId &transaction_id, uint32_t cookie)
    : writer_(buffer), transaction_id_(transaction_id) {
    if (type > 0x3FFF) {
        fail(); // RFC 8489 §5: the top two bits are zero
        return;
    }
    writer_.write_u16(type);
    writer_.write_u16(0);
    writer_.write_u32(cookie);
    writer_.write_bytes(transaction_id);
}

bool MessageBuilder::begin_attribute(uint16_t type, std::size_t &start) {
    if (!ok() || sealed_)
        return fail();
    start = writer_.position();
    writer_.write_u16(type);
    writer_.write_u16(0);
    return ok();
}

bool MessageBuilder::end_attribute(std::size_t start, bool value_ok) {
    if (!value_ok || !writer_.ok())
        return fail();
    std::size_t value_length = writer_.position() - start - kAttributeHeaderSize;
    if (value_length > 0xFFFF)
        return fail();
    writer_.patch_u16(start + 2, static_cast<uint16_t>(value_length));
    writer_.pad_to(4, padding_byte_);
    std::size_t body = writer_.position() - kHeaderSize;
    if (body > 0xFFFF)
        return fail();
    writer_.patch_u16(2, static_cast<uint16_t>(body));
    return ok();
}

bool MessageBuilder::add_raw(uint16_t type, std::span<const uint8_t> value) {
    std::size_t start = 0;
    if (!begin_attribute(type, start))
        return false;
    writer_.write_bytes(value);
    return end_attribute(start, true);
}

bool MessageBuilder::add_message_integrity(std::span<const uint8_t> key) {
    if (!ok() || sealed_)
        return fail();
    std::size_t at = writer_.position();
    std::size_t length = at + attribute_size(20) - kHeaderSize;
    if (length > 0xFFFF || writer_.remaining() < attribute_size(20))
        return fail();
    auto mac =
        compute_message_integrity(writer_.written().first(at), static_cast<uint16_t>(length), key);
    return add_raw(attr::kMessageIntegrity, mac);
}

bool MessageBuilder::add_message_integrity_sha256(std::span<const uint8_t> key,
                                                  std::size_t length) {
    if (!ok() || sealed_ || length < 16 || length > 32 || length % 4 != 0)
        return fail();
    std::size_t at = writer_.position();
    std::size_t body = at + attribute_size(length) - kHeaderSize;
    if (body > 0xFFFF || writer_.remaining() < attribute_size(length))
        return fail();
    auto mac = compute_message_integrity_sha256(writer_.written().first(at),
                                                static_cast<uint16_t>(body), key);
    return add_raw(attr::kMessageIntegritySha256, std::span<const uint8_t>(mac).first(length));
}

bool MessageBuilder::add_fingerprint() {
    if (!ok() || sealed_)
        return fail();
    std::size_t at = writer_.position();
    std::size_t body = at + attribute_size(4) - kHeaderSize;
    if (body > 0xFFFF || writer_.remaining() < attribute_size(4))
        return fail();
    // The length must already count FINGERPRINT when the CRC is taken.
    writer_.patch_u16(2, static_cast<uint16_t>(body));
    uint32_t crc = compute_fingerprint(writer_.written().first(at));
    const uint8_t value[4] = {static_cast<uint8_t>(crc >> 24), static_cast<uint8_t>(crc >> 16),
                              static_cast<uint8_t>(crc >> 8), static_cast<uint8_t>(crc)};
    bool added = add_raw(attr::kFingerprint, value);
    sealed_ = true;
    return added;
}

std::span<const uint8_t> MessageBuilder::bytes() const {
    if (!ok())
        return {};
    return writer_.written();
}

} // namespace rtc::stun

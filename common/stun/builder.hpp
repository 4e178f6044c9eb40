#pragma once
// Writes a STUN message into a caller-provided buffer, without allocating: the header, then
// attributes, then optionally MESSAGE-INTEGRITY(-SHA256) and FINGERPRINT, which are computed
// with the header length patched as RFC 8489 §14.5-§14.7 require. Running out of room (or an
// invalid attribute value) makes ok() false; later calls do nothing.
#include "stun/message.hpp"
#include "util/bytes.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

namespace rtc::stun {

// Bytes an attribute with a value of `value_length` bytes takes, header and padding included.
constexpr std::size_t attribute_size(std::size_t value_length) {
    return kAttributeHeaderSize + ((value_length + 3) & ~std::size_t{3});
}

class MessageBuilder {
public:
    // `cookie` is kMagicCookie except when answering an RFC 3489 client, whose 128-bit
    // transaction id is echoed as cookie + id.
    MessageBuilder(std::span<uint8_t> buffer, Method method, MessageClass cls,
                   const TransactionId &transaction_id, uint32_t cookie = kMagicCookie);
    MessageBuilder(std::span<uint8_t> buffer, uint16_t type, const TransactionId &transaction_id,
                   uint32_t cookie = kMagicCookie);

    // Value of the 0-3 padding bytes after attributes (RFC 8489 §14: any value; RFC 5769 uses
    // spaces in some vectors). Default 0.
    void set_padding_byte(uint8_t value) { padding_byte_ = value; }

    // Adds an attribute type from attributes.hpp.
    template <class A> bool add(const A &attribute) {
        std::size_t start = 0;
        if (!begin_attribute(A::kType, start))
            return false;
        bool good;
        if constexpr (requires(util::ByteWriter & w) { attribute.serialize(w, transaction_id_); })
            good = attribute.serialize(writer_, transaction_id_);
        else
            good = attribute.serialize(writer_);
        return end_attribute(start, good);
    }
    bool add_raw(uint16_t type, std::span<const uint8_t> value);

    // RFC 8489 §14.5: HMAC-SHA1 of everything so far, with the length covering this attribute.
    bool add_message_integrity(std::span<const uint8_t> key);
    // RFC 8489 §14.6: HMAC-SHA256, truncated to `length` bytes (16..32, a multiple of 4).
    bool add_message_integrity_sha256(std::span<const uint8_t> key, std::size_t length = 32);
    // RFC 8489 §14.7: must be the last attribute; nothing can be added after it.
    bool add_fingerprint();

    bool ok() const { return !failed_ && writer_.ok(); }
    // Message size so far (header included); the whole message once done.
    std::size_t size() const { return writer_.position(); }
    std::size_t remaining() const { return writer_.remaining(); }
    // The finished message; empty when !ok().
    std::span<const uint8_t> bytes() const;
    const TransactionId &transaction_id() const { return transaction_id_; }

private:
    bool begin_attribute(uint16_t type, std::size_t &start);
    bool end_attribute(std::size_t start, bool value_ok);
    bool fail() {
        failed_ = true;
        return false;
    }

    util::ByteWriter writer_;
    TransactionId transaction_id_;
    uint8_t padding_byte_ = 0;
    bool sealed_ = false; // FINGERPRINT written
    bool failed_ = false;
};

} // namespace rtc::stun

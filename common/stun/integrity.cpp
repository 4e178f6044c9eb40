#include "stun/integrity.hpp"

#include "crypto/crc32.hpp"
#include "stun/message.hpp"

namespace rtc::stun {

namespace {

// Feeds the prefix to `mac` with bytes 2..3 (the length) replaced.
template <class Mac>
typename Mac::Digest mac_with_length(std::span<const uint8_t> prefix, uint16_t length_field,
                                     std::span<const uint8_t> key) {
    Mac mac(key);
    if (prefix.size() < kHeaderSize)
        return mac.finish(); // callers never pass less than a header
    const uint8_t length[2] = {static_cast<uint8_t>(length_field >> 8),
                               static_cast<uint8_t>(length_field)};
    mac.update(prefix.first(2));
    mac.update(length);
    mac.update(prefix.subspan(4));
    return mac.finish();
}

} // namespace

crypto::Sha1Digest compute_message_integrity(std::span<const uint8_t> prefix, uint16_t length_field,
                                             std::span<const uint8_t> key) {
    return mac_with_length<crypto::HmacSha1>(prefix, length_field, key);
}

crypto::Sha256Digest compute_message_integrity_sha256(std::span<const uint8_t> prefix,
                                                      uint16_t length_field,
                                                      std::span<const uint8_t> key) {
    return mac_with_length<crypto::HmacSha256>(prefix, length_field, key);
}

uint32_t compute_fingerprint(std::span<const uint8_t> prefix) {
    return crypto::crc32(prefix) ^ kFingerprintXor;
}

} // namespace rtc::stun

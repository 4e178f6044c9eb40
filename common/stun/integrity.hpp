#pragma once
// The hashes behind MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT, shared by the
// parser (verify) and the builder (add). `prefix` is the message from its first byte up to (not
// including) the attribute being computed; `length_field` replaces the header's length, which
// RFC 8489 §14.5/§14.6 require to count up to the end of the integrity attribute.
#include "crypto/hash.hpp"

#include <cstdint>
#include <span>

namespace rtc::stun {

crypto::Sha1Digest compute_message_integrity(std::span<const uint8_t> prefix, uint16_t length_field,
                                             std::span<const uint8_t> key);

crypto::Sha256Digest compute_message_integrity_sha256(std::span<const uint8_t> prefix,
                                                      uint16_t length_field,
                                                      std::span<const uint8_t> key);

// RFC 8489 §14.7: CRC-32 of the message up to FINGERPRINT, XOR 0x5354554E. The header length
// in `prefix` must already include the FINGERPRINT attribute (it is always last).
uint32_t compute_fingerprint(std::span<const uint8_t> prefix);

} // namespace rtc::stun

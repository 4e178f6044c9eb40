#pragma once
// STUN attribute type codes from the IANA "STUN Attributes" registry, with the RFC defining each.
#include <cstdint>
#include <string_view>

namespace rtc::stun::attr {

// RFC 8489 §18.3 (comprehension-required 0x0000-0x7FFF, optional 0x8000-0xFFFF)
inline constexpr uint16_t kMappedAddress = 0x0001;
inline constexpr uint16_t kUsername = 0x0006;
inline constexpr uint16_t kMessageIntegrity = 0x0008;
inline constexpr uint16_t kErrorCode = 0x0009;
inline constexpr uint16_t kUnknownAttributes = 0x000A;
inline constexpr uint16_t kRealm = 0x0014;
inline constexpr uint16_t kNonce = 0x0015;
inline constexpr uint16_t kMessageIntegritySha256 = 0x001C;
inline constexpr uint16_t kPasswordAlgorithm = 0x001D;
inline constexpr uint16_t kUserhash = 0x001E;
inline constexpr uint16_t kXorMappedAddress = 0x0020;
inline constexpr uint16_t kPasswordAlgorithms = 0x8002;
inline constexpr uint16_t kAlternateDomain = 0x8003;
inline constexpr uint16_t kSoftware = 0x8022;
inline constexpr uint16_t kAlternateServer = 0x8023;
inline constexpr uint16_t kFingerprint = 0x8028;

// RFC 3489 §11.2 (reserved by RFC 8489; still sent to classic clients)
inline constexpr uint16_t kResponseAddress = 0x0002;
inline constexpr uint16_t kSourceAddress = 0x0004;
inline constexpr uint16_t kChangedAddress = 0x0005;

// RFC 5780 §7
inline constexpr uint16_t kChangeRequest = 0x0003;
inline constexpr uint16_t kPadding = 0x0026;
inline constexpr uint16_t kResponsePort = 0x0027;
inline constexpr uint16_t kResponseOrigin = 0x802B;
inline constexpr uint16_t kOtherAddress = 0x802C;

// RFC 8656 §18
inline constexpr uint16_t kChannelNumber = 0x000C;
inline constexpr uint16_t kLifetime = 0x000D;
inline constexpr uint16_t kXorPeerAddress = 0x0012;
inline constexpr uint16_t kData = 0x0013;
inline constexpr uint16_t kXorRelayedAddress = 0x0016;
inline constexpr uint16_t kRequestedAddressFamily = 0x0017;
inline constexpr uint16_t kEvenPort = 0x0018;
inline constexpr uint16_t kRequestedTransport = 0x0019;
inline constexpr uint16_t kDontFragment = 0x001A;
inline constexpr uint16_t kReservationToken = 0x0022;
inline constexpr uint16_t kAdditionalAddressFamily = 0x8000;
inline constexpr uint16_t kAddressErrorCode = 0x8001;
inline constexpr uint16_t kIcmp = 0x8004;

// RFC 6062 §6.2.1
inline constexpr uint16_t kConnectionId = 0x002A;

// RFC 8445 §16.1
inline constexpr uint16_t kPriority = 0x0024;
inline constexpr uint16_t kUseCandidate = 0x0025;
inline constexpr uint16_t kIceControlled = 0x8029;
inline constexpr uint16_t kIceControlling = 0x802A;

// RFC 8489 §14: types below 0x8000 must be understood by the receiver.
constexpr bool is_comprehension_required(uint16_t type) {
    return type < 0x8000;
}

// True for every attribute this codec defines (the list above).
bool is_known(uint16_t type);

// The registry name, e.g. "XOR-MAPPED-ADDRESS"; "UNKNOWN" otherwise.
std::string_view name(uint16_t type);

} // namespace rtc::stun::attr

#include "stun/attribute_types.hpp"

namespace rtc::stun::attr {

std::string_view name(uint16_t type) {
    switch (type) {
    case kMappedAddress:
        return "MAPPED-ADDRESS";
    case kResponseAddress:
        return "RESPONSE-ADDRESS";
    case kChangeRequest:
        return "CHANGE-REQUEST";
    case kSourceAddress:
        return "SOURCE-ADDRESS";
    case kChangedAddress:
        return "CHANGED-ADDRESS";
    case kUsername:
        return "USERNAME";
    case kMessageIntegrity:
        return "MESSAGE-INTEGRITY";
    case kErrorCode:
        return "ERROR-CODE";
    case kUnknownAttributes:
        return "UNKNOWN-ATTRIBUTES";
    case kChannelNumber:
        return "CHANNEL-NUMBER";
    case kLifetime:
        return "LIFETIME";
    case kXorPeerAddress:
        return "XOR-PEER-ADDRESS";
    case kData:
        return "DATA";
    case kRealm:
        return "REALM";
    case kNonce:
        return "NONCE";
    case kXorRelayedAddress:
        return "XOR-RELAYED-ADDRESS";
    case kRequestedAddressFamily:
        return "REQUESTED-ADDRESS-FAMILY";
    case kEvenPort:
        return "EVEN-PORT";
    case kRequestedTransport:
        return "REQUESTED-TRANSPORT";
    case kDontFragment:
        return "DONT-FRAGMENT";
    case kMessageIntegritySha256:
        return "MESSAGE-INTEGRITY-SHA256";
    case kPasswordAlgorithm:
        return "PASSWORD-ALGORITHM";
    case kUserhash:
        return "USERHASH";
    case kXorMappedAddress:
        return "XOR-MAPPED-ADDRESS";
    case kReservationToken:
        return "RESERVATION-TOKEN";
    case kPriority:
        return "PRIORITY";
    case kUseCandidate:
        return "USE-CANDIDATE";
    case kPadding:
        return "PADDING";
    case kResponsePort:
        return "RESPONSE-PORT";
    case kConnectionId:
        return "CONNECTION-ID";
    case kAdditionalAddressFamily:
        return "ADDITIONAL-ADDRESS-FAMILY";
    case kAddressErrorCode:
        return "ADDRESS-ERROR-CODE";
    case kPasswordAlgorithms:
        return "PASSWORD-ALGORITHMS";
    case kAlternateDomain:
        return "ALTERNATE-DOMAIN";
    case kIcmp:
        return "ICMP";
    case kSoftware:
        return "SOFTWARE";
    case kAlternateServer:
        return "ALTERNATE-SERVER";
    case kFingerprint:
        return "FINGERPRINT";
    case kIceControlled:
        return "ICE-CONTROLLED";
    case kIceControlling:
        return "ICE-CONTROLLING";
    case kResponseOrigin:
        return "RESPONSE-ORIGIN";
    case kOtherAddress:
        return "OTHER-ADDRESS";
    default:
        return "UNKNOWN";
    }
}

bool is_known(uint16_t type) {
    // RFC 3489's RESPONSE-ADDRESS is deliberately not "known": a request carrying it asks for
    // a reflection to a third address, which this codec does not support.
    switch (type) {
    case kMappedAddress:
    case kChangeRequest:
    case kSourceAddress:
    case kChangedAddress:
    case kUsername:
    case kMessageIntegrity:
    case kErrorCode:
    case kUnknownAttributes:
    case kChannelNumber:
    case kLifetime:
    case kXorPeerAddress:
    case kData:
    case kRealm:
    case kNonce:
    case kXorRelayedAddress:
    case kRequestedAddressFamily:
    case kEvenPort:
    case kRequestedTransport:
    case kDontFragment:
    case kMessageIntegritySha256:
    case kPasswordAlgorithm:
    case kUserhash:
    case kXorMappedAddress:
    case kReservationToken:
    case kPriority:
    case kUseCandidate:
    case kPadding:
    case kResponsePort:
    case kConnectionId:
    case kAdditionalAddressFamily:
    case kAddressErrorCode:
    case kPasswordAlgorithms:
    case kAlternateDomain:
    case kIcmp:
    case kSoftware:
    case kAlternateServer:
    case kFingerprint:
    case kIceControlled:
    case kIceControlling:
    case kResponseOrigin:
    case kOtherAddress:
        return true;
    default:
        return false;
    }
}

} // namespace rtc::stun::attr

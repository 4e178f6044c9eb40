#include "rtp/demux.hpp"

namespace rtc::rtp {

PacketKind classify(std::span<const uint8_t> packet) {
    if (packet.empty())
        return PacketKind::Unknown;
    const uint8_t b = packet[0];
    // RFC 7983 §7
    if (b <= 3)
        return PacketKind::Stun;
    if (b >= 20 && b <= 63)
        return PacketKind::Dtls;
    if (b >= 128 && b <= 191) {
        if (packet.size() < 4)
            return PacketKind::Unknown;
        // RFC 5761 §4: second byte 192-223 is an RTCP packet type.
        if (packet[1] >= 192 && packet[1] <= 223)
            return PacketKind::Rtcp;
        return packet.size() >= 12 ? PacketKind::Rtp : PacketKind::Unknown;
    }
    return PacketKind::Unknown;
}

} // namespace rtc::rtp

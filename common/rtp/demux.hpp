#pragma once
// Demultiplexing of one UDP port shared by STUN, DTLS, RTP and RTCP (RFC 7983 §7, RFC 5761 §4).
#include <cstdint>
#include <span>

namespace rtc::rtp {

enum class PacketKind { Stun, Dtls, Rtp, Rtcp, Unknown };

// RFC 7983 §7 first-byte ranges: 0-3 STUN, 20-63 DTLS, 128-191 RTP/RTCP. Within RTP/RTCP the
// second byte 192-223 (RTCP packet types SR..XR range, RFC 5761 §4) means RTCP; RTP payload types
// 64-95 with the marker set collide with it and are therefore not used for RTP (RFC 5761 §4).
// RTP needs at least the 12-byte fixed header, RTCP its 4-byte header; shorter is Unknown.
PacketKind classify(std::span<const uint8_t> packet);

} // namespace rtc::rtp

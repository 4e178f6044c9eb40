#pragma once
// Helpers the Router's source files share (not part of the sfu API).
#include "sdp/description.hpp"
#include "sfu/peer.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rtc::sfu::detail {

// The CNAME of every stream the SFU sends (a=ssrc:... cname:, RTCP SDES, RFC 3550 §6.5.1).
inline constexpr std::string_view kCname = "rtc-sfu";

// A random nonzero 32-bit value (SSRCs).
uint32_t random_u32();
// The header extension ids the SFU understands in one m-section (RFC 8285).
ExtensionIds extension_ids(const sdp::MediaDescription& m);
std::optional<MediaKind> media_kind(const sdp::MediaDescription& m);

// An offer with its transport parameters (RFC 8829 §5.8): ICE credentials and the DTLS
// fingerprint of the first section.
struct Prepared {
    sdp::SessionDescription offer;
    std::string remote_ufrag;
    std::string fingerprint;
    std::string setup; // the offer's a=setup: actpass (or none), passive, active
};
// RFC 8842 §5.2, §5.3: an initial offer says actpass (we answer passive and are the DTLS server)
// or passive (we answer active and are the DTLS client); "active" only fits a later offer from
// the side that already is the DTLS client. True if we are to be the DTLS client; sets `error`
// (returns false) when the offer's role does not fit.
bool dtls_client_role(const Prepared& offer, const Peer* existing, std::string& error);
// Refuses (error set, nullopt) an offer that cannot be used or has more than `max_tracks` audio
// and video sections.
std::optional<Prepared> prepare(std::string_view text, std::size_t max_tracks, std::string& error);

} // namespace rtc::sfu::detail

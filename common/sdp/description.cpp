// Helpers over the SDP model: effective (media-level else session-level) values and lookups.
#include "sdp/description.hpp"

#include "sdp/text.hpp"

#include <charconv>

namespace rtc::sdp {

std::string_view to_string(Direction d) {
    switch (d) {
    case Direction::SendRecv:
        return "sendrecv";
    case Direction::SendOnly:
        return "sendonly";
    case Direction::RecvOnly:
        return "recvonly";
    case Direction::Inactive:
        return "inactive";
    }
    return "sendrecv";
}

std::optional<Direction> parse_direction(std::string_view text) {
    if (text == "sendrecv")
        return Direction::SendRecv;
    if (text == "sendonly")
        return Direction::SendOnly;
    if (text == "recvonly")
        return Direction::RecvOnly;
    if (text == "inactive")
        return Direction::Inactive;
    return std::nullopt;
}

Direction reverse(Direction d) {
    switch (d) {
    case Direction::SendOnly:
        return Direction::RecvOnly;
    case Direction::RecvOnly:
        return Direction::SendOnly;
    default:
        return d;
    }
}

bool sends(Direction d) {
    return d == Direction::SendRecv || d == Direction::SendOnly;
}
bool receives(Direction d) {
    return d == Direction::SendRecv || d == Direction::RecvOnly;
}

MediaKind media_kind_from(std::string_view media) {
    if (media == "audio")
        return MediaKind::Audio;
    if (media == "video")
        return MediaKind::Video;
    if (media == "application")
        return MediaKind::Application;
    return MediaKind::Other;
}

std::string_view to_string(MediaKind kind) {
    switch (kind) {
    case MediaKind::Audio:
        return "audio";
    case MediaKind::Video:
        return "video";
    case MediaKind::Application:
        return "application";
    case MediaKind::Other:
        break;
    }
    return "other";
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i];
        char y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = static_cast<char>(y - 'A' + 'a');
        if (x != y)
            return false;
    }
    return true;
}

// RFC 8829 §5.8: media-level ICE and DTLS attributes override the session's.
IceCredentials effective_ice(const SessionDescription& sd, std::size_t media_index) {
    IceCredentials out{sd.ice_ufrag, sd.ice_pwd};
    if (media_index < sd.media.size()) {
        const auto& m = sd.media[media_index];
        if (!m.ice_ufrag.empty())
            out.ufrag = m.ice_ufrag;
        if (!m.ice_pwd.empty())
            out.pwd = m.ice_pwd;
    }
    return out;
}

namespace {

std::optional<Fingerprint> pick_fingerprint(const std::vector<Fingerprint>& list) {
    for (const auto& f : list)
        if (iequals(f.algorithm, "sha-256"))
            return f;
    if (!list.empty())
        return list.front();
    return std::nullopt;
}

} // namespace

std::optional<Fingerprint> effective_fingerprint(const SessionDescription& sd,
                                                 std::size_t media_index) {
    if (media_index < sd.media.size() && !sd.media[media_index].fingerprints.empty())
        return pick_fingerprint(sd.media[media_index].fingerprints);
    return pick_fingerprint(sd.fingerprints);
}

std::string effective_setup(const SessionDescription& sd, std::size_t media_index) {
    if (media_index < sd.media.size() && !sd.media[media_index].setup.empty())
        return sd.media[media_index].setup;
    return sd.setup;
}

Direction effective_direction(const SessionDescription& sd, std::size_t media_index) {
    if (media_index < sd.media.size() && sd.media[media_index].direction)
        return *sd.media[media_index].direction;
    return sd.direction.value_or(Direction::SendRecv);
}

std::vector<std::string> bundle_group(const SessionDescription& sd) {
    for (const auto& g : sd.groups)
        if (g.semantics == "BUNDLE")
            return g.mids;
    return {};
}

std::optional<std::size_t> find_media_by_mid(const SessionDescription& sd, std::string_view mid) {
    for (std::size_t i = 0; i < sd.media.size(); ++i)
        if (!sd.media[i].mid.empty() && sd.media[i].mid == mid)
            return i;
    return std::nullopt;
}

const Codec* find_codec(const MediaDescription& m, uint8_t payload_type) {
    for (const auto& c : m.codecs)
        if (c.payload_type == payload_type)
            return &c;
    return nullptr;
}

const Codec* find_codec_by_name(const MediaDescription& m, std::string_view name) {
    for (const auto& c : m.codecs)
        if (iequals(c.name, name))
            return &c;
    return nullptr;
}

// RFC 4588 §8.1: a=fmtp:<rtx pt> apt=<original pt>[;rtx-time=...]
std::optional<uint8_t> rtx_apt(const Codec& codec) {
    std::string_view rest = codec.fmtp;
    while (!rest.empty()) {
        const auto semi = rest.find(';');
        std::string_view param = rest.substr(0, semi);
        rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
        while (!param.empty() && param.front() == ' ')
            param.remove_prefix(1);
        if (param.size() > 4 && iequals(param.substr(0, 4), "apt=")) {
            const std::string_view digits = param.substr(4);
            unsigned value = 0;
            const auto [end, ec] =
                std::from_chars(digits.data(), digits.data() + digits.size(), value);
            if (ec == std::errc{} && end == digits.data() + digits.size() && value <= 127)
                return static_cast<uint8_t>(value);
            return std::nullopt;
        }
    }
    return std::nullopt;
}

std::optional<uint8_t> rtx_payload_type(const MediaDescription& m, uint8_t payload_type) {
    for (const auto& c : m.codecs)
        if (iequals(c.name, "rtx") && rtx_apt(c) == payload_type)
            return c.payload_type;
    return std::nullopt;
}

uint16_t remote_sctp_port(const MediaDescription& m) {
    if (m.sctp_port)
        return *m.sctp_port;
    if (m.protocol == "DTLS/SCTP" && !m.formats.empty())
        if (const auto port = text::parse_uint<uint16_t>(m.formats[0]))
            return *port;
    return 5000;
}

} // namespace rtc::sdp

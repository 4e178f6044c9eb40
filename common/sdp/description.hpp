#pragma once
// The SDP model (RFC 8866) with the attributes WebRTC uses (RFC 8829 JSEP, RFC 8839 ICE,
// RFC 8842 DTLS, RFC 8843 BUNDLE, RFC 8285 extmap, RFC 8851 rid, RFC 8853 simulcast, RFC 8841
// SCTP). Plain values; attributes the model does not name are kept in order as (name, value) so
// serialize() reproduces a parsed description line for line (up to attribute order).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rtc::sdp {

// Limits for untrusted input (parse refuses more). A browser's receiving PeerConnection in a room
// of 50 holds ~100 sections of 2-4 kB each (every codec it can decode is offered again).
inline constexpr std::size_t kMaxSdpBytes = 1024 * 1024;
inline constexpr std::size_t kMaxMediaSections = 512;
inline constexpr std::size_t kMaxAttributesPerSection = 256;

enum class MediaKind { Audio, Video, Application, Other };
enum class Direction { SendRecv, SendOnly, RecvOnly, Inactive };

std::string_view to_string(Direction d); // "sendrecv", ...
std::optional<Direction> parse_direction(std::string_view text);
// The direction as seen from the other side: sendonly <-> recvonly.
Direction reverse(Direction d);
bool sends(Direction d);
bool receives(Direction d);

// An attribute the model does not name: `a=name` (value empty) or `a=name:value`.
struct Attribute {
    std::string name;
    std::string value;
    bool operator==(const Attribute&) const = default;
};

// A line of a type the model does not name (i=, u=, e=, p=, b=, k=, r=, z=, unknown letters).
struct Line {
    char type = 0;
    std::string value;
    bool operator==(const Line&) const = default;
};

// RFC 8866 §5.2 o=
struct Origin {
    std::string username = "-";
    std::string session_id = "0"; // digits, may exceed 64 bits in theory: kept as text
    std::string session_version = "0";
    std::string net_type = "IN";
    std::string addr_type = "IP4";
    std::string address = "0.0.0.0";
    bool operator==(const Origin&) const = default;
};

// RFC 8866 §5.7 c=
struct Connection {
    std::string net_type = "IN";
    std::string addr_type = "IP4";
    std::string address = "0.0.0.0";
    bool operator==(const Connection&) const = default;
};

// RFC 8122 §5 a=fingerprint:<hash-func> <hex:hex:...>
struct Fingerprint {
    std::string algorithm; // lower case as received, e.g. "sha-256"
    std::string value;     // "AB:CD:..."
    bool operator==(const Fingerprint&) const = default;
};

// RFC 5888 §5 a=group:<semantics> <mid>...
struct Group {
    std::string semantics; // "BUNDLE", "LS", ...
    std::vector<std::string> mids;
    bool operator==(const Group&) const = default;
};

// One payload type: a=rtpmap (RFC 8866 §6.6), a=fmtp (§6.15), a=rtcp-fb (RFC 4585 §4.2).
struct Codec {
    uint8_t payload_type = 0;
    std::string name; // encoding name as received ("VP8", "opus", "rtx"); empty: no rtpmap
    uint32_t clock_rate = 0;
    uint16_t channels = 0;            // 0: not given
    std::string fmtp;                 // parameters after "a=fmtp:<pt> ", empty when none
    std::vector<std::string> rtcp_fb; // "nack", "nack pli", "transport-cc", ...
    bool operator==(const Codec&) const = default;
};

// RFC 8285 §8 a=extmap:<id>[/<direction>] <uri> [<attributes>]
struct Extmap {
    uint16_t id = 0;
    std::optional<Direction> direction;
    std::string uri;
    std::string attributes; // extension attributes after the URI, empty when none
    bool operator==(const Extmap&) const = default;
};

// RFC 5576 §4.1 a=ssrc:<ssrc> <attribute>[:<value>]
struct SsrcLine {
    uint32_t ssrc = 0;
    std::string attribute; // "cname", "msid", ...
    std::string value;
    bool operator==(const SsrcLine&) const = default;
};

// RFC 5576 §4.2 a=ssrc-group:<semantics> <ssrc>...
struct SsrcGroup {
    std::string semantics; // "FID" (RTX, RFC 4588), "SIM", "FEC-FR"
    std::vector<uint32_t> ssrcs;
    bool operator==(const SsrcGroup&) const = default;
};

enum class RidDirection { Send, Recv };

// RFC 8851 §10 a=rid:<id> <send|recv> [<restrictions>]
struct Rid {
    std::string id;
    RidDirection direction = RidDirection::Send;
    std::string restrictions; // e.g. "pt=96,97;max-width=1280", empty when none
    bool operator==(const Rid&) const = default;
};

// RFC 8853 §5.1: one rid in a simulcast list, "~" marks it paused.
struct SimulcastRid {
    std::string rid;
    bool paused = false;
    bool operator==(const SimulcastRid&) const = default;
};
// One simulcast stream: its alternatives ("1,2" = either 1 or 2).
using SimulcastStream = std::vector<SimulcastRid>;

// RFC 8853 a=simulcast:[send <list>] [recv <list>], list = stream;stream;...
struct Simulcast {
    std::vector<SimulcastStream> send;
    std::vector<SimulcastStream> recv;
    bool operator==(const Simulcast&) const = default;
};

// RFC 8830 §2 a=msid:<stream id> [<track id>]
struct Msid {
    std::string stream_id;
    std::string track_id; // empty when absent
    bool operator==(const Msid&) const = default;
};

struct MediaDescription {
    MediaKind kind = MediaKind::Other;
    std::string media; // the m= token as received: "audio", "video", "application", ...
    uint16_t port = 9;
    std::optional<uint16_t> port_count; // "m=video 9/2"
    std::string protocol = "UDP/TLS/RTP/SAVPF";
    std::vector<std::string> formats;
    std::optional<Connection> connection;

    std::string mid;                    // empty: no a=mid
    std::optional<Direction> direction; // nullopt: no direction attribute (RFC 8866: sendrecv)
    std::string ice_ufrag;              // empty: not given here (the session's applies)
    std::string ice_pwd;
    std::string ice_options;
    std::vector<Fingerprint> fingerprints;
    std::string setup; // "actpass", "active", "passive", "holdconn"; empty: not given
    bool rtcp_mux = false;
    bool rtcp_rsize = false;
    bool bundle_only = false;
    bool extmap_allow_mixed = false;

    std::vector<Codec> codecs; // in a=rtpmap order, then payload types known only from fmtp/fb
    std::vector<std::string> rtcp_fb_all; // a=rtcp-fb:* <value>
    std::vector<Extmap> extmaps;
    std::vector<SsrcLine> ssrcs;
    std::vector<SsrcGroup> ssrc_groups;
    std::vector<Rid> rids;
    std::optional<Simulcast> simulcast;
    std::vector<Msid> msids;
    std::vector<std::string> candidates; // the text after "a=candidate:"
    bool end_of_candidates = false;
    std::optional<uint16_t> sctp_port;        // RFC 8841 §5
    std::optional<uint64_t> max_message_size; // RFC 8841 §6

    std::vector<Attribute> other_attributes;
    std::vector<Line> other_lines; // i=, b=, k=, ... in order

    bool operator==(const MediaDescription&) const = default;
};

struct SessionDescription {
    int version = 0;
    Origin origin;
    std::string session_name = "-";
    uint64_t start_time = 0;
    uint64_t stop_time = 0;
    std::optional<Connection> connection;

    std::vector<Group> groups;
    std::string
        msid_semantic; // value after "a=msid-semantic:", trimmed ("WMS", "WMS *"); empty: absent
    bool extmap_allow_mixed = false;
    bool ice_lite = false;
    std::string ice_ufrag;
    std::string ice_pwd;
    std::string ice_options;
    std::vector<Fingerprint> fingerprints;
    std::string setup;
    std::optional<Direction> direction; // session-level default for every m-section

    std::vector<Attribute> other_attributes;
    std::vector<Line> other_lines;

    std::vector<MediaDescription> media;

    bool operator==(const SessionDescription&) const = default;
};

// ---- Helpers (RFC 8829 §5.8: media-level values override session-level ones) ----

struct IceCredentials {
    std::string ufrag;
    std::string pwd;
    bool operator==(const IceCredentials&) const = default;
};

// Media-level ufrag/pwd, else the session's; empty strings when neither has them (or index is
// out of range).
IceCredentials effective_ice(const SessionDescription& sd, std::size_t media_index);
// Media-level fingerprints, else the session's; prefers sha-256 among several.
std::optional<Fingerprint> effective_fingerprint(const SessionDescription& sd,
                                                 std::size_t media_index);
// Media-level a=setup, else the session's; empty when neither.
std::string effective_setup(const SessionDescription& sd, std::size_t media_index);
// Media-level direction, else session-level, else sendrecv (RFC 8866 §6.7).
Direction effective_direction(const SessionDescription& sd, std::size_t media_index);

// The mids of the first a=group:BUNDLE (empty when none).
std::vector<std::string> bundle_group(const SessionDescription& sd);
// Index of the m-section with this mid.
std::optional<std::size_t> find_media_by_mid(const SessionDescription& sd, std::string_view mid);

MediaKind media_kind_from(std::string_view media);
std::string_view to_string(MediaKind kind); // "audio", "video", "application", "other"

// Codec lookups within one m-section.
const Codec* find_codec(const MediaDescription& m, uint8_t payload_type);
// First codec with this encoding name (ASCII case-insensitive).
const Codec* find_codec_by_name(const MediaDescription& m, std::string_view name);
// The "apt=" of an rtx codec's fmtp (RFC 4588 §8.1).
std::optional<uint8_t> rtx_apt(const Codec& codec);
// The payload type of the rtx codec whose apt is `payload_type`.
std::optional<uint8_t> rtx_payload_type(const MediaDescription& m, uint8_t payload_type);

// The peer's SCTP port of a data channel section: a=sctp-port (RFC 8841 §5), else the legacy
// "DTLS/SCTP <port>" format (draft-ietf-mmusic-sctp-sdp-05, aiortc 1.4), else 5000.
uint16_t remote_sctp_port(const MediaDescription& m);

// ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b);

} // namespace rtc::sdp

#pragma once
// One WHIP publisher or WHEP subscriber as the Router keeps it: its ICE credentials and selected
// address, its DTLS session and SRTP keys, and its tracks (received from a publisher, sent to a
// subscriber). Plain state; the Router holds the logic.
#include "record/track_recorder.hpp"
#include "rtp/keyframe.hpp"
#include "rtp/nack_tracker.hpp"
#include "rtp/receive_stats.hpp"
#include "rtp/retransmit_buffer.hpp"
#include "rtp/rewrite.hpp"
#include "srtp/session.hpp"
#include "tls/client_hello_reassembly.hpp"
#include "tls/engine.hpp"
#include "util/ip_address.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace rtc::sfu {

// Where the Router's datagrams go (the shell queues them on its UDP socket).
class DatagramSink {
public:
    virtual ~DatagramSink() = default;
    virtual void send(std::span<const uint8_t> datagram, const util::Endpoint& to) = 0;
};

enum class MediaKind : uint8_t { Audio, Video };

inline constexpr std::size_t kMaxLayers = 4; // simulcast streams per track (RFC 8853)

// The header extensions the SFU understands (RFC 8285 ids as negotiated, 0 = absent).
struct ExtensionIds {
    uint8_t mid = 0;           // urn:ietf:params:rtp-hdrext:sdes:mid (RFC 8843 §15)
    uint8_t rid = 0;           // urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id (RFC 8852)
    uint8_t repaired_rid = 0;  // ...:sdes:repaired-rtp-stream-id
    uint8_t audio_level = 0;   // urn:ietf:params:rtp-hdrext:ssrc-audio-level (RFC 6464)
    uint8_t abs_send_time = 0; // http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
};

// One RTP stream of a published track: the only one, or one simulcast layer (RFC 8853),
// known by its rid (RFC 8851, sdes:rtp-stream-id) until its SSRC is learned.
struct Layer {
    std::string rid;   // empty: the track is not simulcast
    uint32_t ssrc = 0; // from a=ssrc, or learned from the first packet
    rtp::ReceiveStats stats;
    rtp::NackTracker nacks;
    // The publisher's packets as received (plaintext), to answer any subscriber's NACK.
    std::unique_ptr<rtp::RetransmitBuffer> history;
    std::chrono::steady_clock::time_point last_keyframe_request{};
    uint64_t packets = 0;
    uint64_t bytes = 0;
    uint64_t bytes_at_report = 0;
    uint64_t bitrate_bps = 0;    // over the last report interval
    uint32_t last_sr_middle = 0; // for the RR's LSR (RFC 3550 §6.4.1)
    std::chrono::steady_clock::time_point last_sr_time{};
    // The publisher's last SR: its wallclock (NTP) and RTP time at last_sr_time, from which
    // the SRs to subscribers are extrapolated (0: none yet).
    uint64_t sr_ntp = 0;
    uint32_t sr_rtp = 0;
};

// A track a publisher sends: one m-section, one codec (the SFU answers one per section).
struct InTrack {
    std::string mid;
    MediaKind kind = MediaKind::Audio;
    rtp::Codec codec = rtp::Codec::Other;
    std::string codec_name; // rtpmap encoding name as offered, e.g. "VP8"
    uint32_t clock_rate = 90000;
    uint16_t channels = 0;
    std::string fmtp;
    uint8_t payload_type = 0;
    ExtensionIds extensions;
    std::vector<Layer> layers; // one, or one per simulcast rid in the offer's order
    // --record (the best layer, chosen at the first packet): the file (sink) and the writer;
    // the writer goes first.
    std::unique_ptr<record::ByteSink> record_sink;
    std::unique_ptr<record::TrackRecorder> recorder;
    std::size_t recorded_layer = 0;
    bool record_failed = false;
};

struct Peer;

// A track a subscriber receives. One subscriber peer may receive from several streams (rooms
// renegotiate one receiving PeerConnection, RFC 8829 §5.2.2); each track knows its own source.
struct OutTrack {
    std::string mid;
    std::string stream;   // the stream whose publisher feeds it
    std::string track_id; // a=msid track id, kept across renegotiations (RFC 8830 §2)
    MediaKind kind = MediaKind::Audio;
    std::string codec_name; // must match the source's
    uint8_t payload_type = 0;
    uint32_t ssrc = 0;
    ExtensionIds extensions;
    bool attached = false;  // fed by source's track source_track
    Peer* source = nullptr; // the stream's publisher while attached
    std::size_t source_track = 0;
    // Simulcast: the layer forwarded now and the one wanted; a switch happens on a keyframe of
    // the wanted layer. `fixed_layer`: chosen by the API; otherwise the feedback decides.
    std::size_t layer = 0;
    std::size_t target_layer = 0;
    bool fixed_layer = false;
    uint64_t remb_bps = 0;        // the subscriber's last REMB, 0 if none
    uint8_t fraction_lost = 0;    // from its last receiver report on this SSRC
    uint16_t switch_sequence = 0; // first output sequence of the current layer
    rtp::ExtensionPlan plan;      // source extension ids -> ours, plus our mid
    bool started = false;         // video: waiting for a keyframe before the first packet
    bool has_sent = false;
    uint16_t sequence_offset = 0; // out = in + offset (RFC 3550 §5.1 continuity across sources)
    uint32_t timestamp_offset = 0;
    uint16_t last_sequence = 0;
    uint32_t last_timestamp = 0;
    uint32_t packets = 0;
    uint32_t octets = 0;
};

enum class PeerRole : uint8_t { Publisher, Subscriber };

struct Peer {
    std::string id;
    std::string stream; // a publisher's stream; a subscriber's first one
    PeerRole role = PeerRole::Publisher;
    std::string local_ufrag;
    std::string local_pwd;
    std::string remote_fingerprint;        // sha-256 from the offer, "AB:CD:..."
    std::string remote_ufrag;              // from the offer; a renegotiation must keep it
    uint64_t answer_version = 1;           // o= session version of our last answer
    std::optional<util::Endpoint> address; // the nominated (else the last checked) address
    std::unique_ptr<tls::Engine> dtls;
    // RFC 8842 §5.3: the offer said a=setup:passive, so we answered active and are the DTLS
    // client, starting the handshake once ICE gave us the peer's address.
    bool dtls_client = false;
    bool dtls_started = false;
    std::unique_ptr<tls::ClientHelloReassembly> hello; // while the ClientHello arrives in pieces
    std::optional<srtp::Session> srtp;
    uint32_t rtcp_ssrc = 0; // our sender SSRC in RTCP to this peer
    std::chrono::steady_clock::time_point created{};
    std::chrono::steady_clock::time_point last_check{};
    bool connected = false;      // DTLS-SRTP up
    uint32_t garbage_in_row = 0; // datagrams since the last good one that failed SRTP/parsing
    std::vector<InTrack> in_tracks;
    std::vector<OutTrack> out_tracks;
};

} // namespace rtc::sfu

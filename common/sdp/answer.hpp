#pragma once
// The SFU's SDP answer to a browser's offer (RFC 8829 §5.3.1 and §5.10, RFC 8843 BUNDLE). The SFU
// is ICE-lite (RFC 8445 §2.5), always the answerer, DTLS passive by default.
#include "sdp/description.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rtc::sdp {

// One host candidate of the SFU (RFC 8839 §5.1), emitted on the first bundled section.
struct CandidateSpec {
    std::string address; // IPv4 or IPv6 text
    uint16_t port = 0;
    std::string transport = "udp"; // "udp" or "tcp" (tcptype passive)
};

struct AnswerOptions {
    std::string ice_ufrag;
    std::string ice_pwd;
    std::string fingerprint;       // sha-256 value "AB:CD:..."
    std::string setup = "passive"; // or "active" (RFC 8842 §5.3)
    std::vector<CandidateSpec> candidates;
    bool ice_lite = true;
    // Encoding names accepted (case-insensitive); rtx is added for every accepted codec whose
    // rtx the offer has (when rtx is true).
    std::vector<std::string> codecs = {"opus", "VP8", "VP9", "H264", "AV1"};
    bool rtx = true;
    // At most this many primary (non-rtx) codecs per m-section, in the offer's order; 0: all.
    std::size_t max_codecs = 0;
    // rtcp-fb values kept (case-insensitive); add "transport-cc" to enable it.
    std::vector<std::string> rtcp_fb = {"nack", "nack pli", "ccm fir", "goog-remb"};
    // Header extension URIs kept (RFC 8285). Optional extras:
    // "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    // "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
    // "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01".
    std::vector<std::string> header_extensions = {
        "urn:ietf:params:rtp-hdrext:sdes:mid",
        "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
        "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
    };
    // o= line: session id (0: derived from ice_ufrag) and version.
    uint64_t session_id = 0;
    uint64_t session_version = 1;
    // Data channel sections (RFC 8841).
    uint16_t sctp_port = 5000;
    uint64_t max_message_size = 262144;
};

// What the SFU sends on one m-section (RFC 5576 ssrc lines, RFC 8830 msid).
struct SendStream {
    uint32_t ssrc = 0;
    std::optional<uint32_t> rtx_ssrc; // a=ssrc-group:FID ssrc rtx_ssrc when rtx is negotiated
    std::string cname;
    std::string stream_id; // msid stream id
    std::string track_id;  // msid track id
};

// The SFU's decision for one offered m-section (same index as the offer's).
struct MediaPlan {
    bool accept = true;
    // Wanted direction from the SFU's side; narrowed to what the offer allows (RFC 8829 §5.3.1:
    // offer sendonly -> answer recvonly/inactive, and so on).
    Direction direction = Direction::RecvOnly;
    std::optional<SendStream> send;
};

struct AnswerResult {
    std::optional<SessionDescription> answer;
    std::string error; // set when answer is empty

    explicit operator bool() const { return answer.has_value(); }
};

// Same number and order of m-sections as the offer; `plans` must have one entry per offered
// m-section. Rejected sections get port 0 and keep their mid (RFC 8829 §5.3.1). A section is
// also rejected when the offer rejected it (port 0 without bundle-only), when its protocol is not
// DTLS-SRTP / DTLS-SCTP, or when no offered codec is supported.
AnswerResult build_answer(const SessionDescription& offer, const AnswerOptions& options,
                          const std::vector<MediaPlan>& plans);

} // namespace rtc::sdp

#pragma once
// Offers written for these tests in the style of the three peers rtc-sfu meets: Chromium (Unified
// Plan, simulcast with rids q/h/f), aiortc 1.4 (a ufrag per m-line, a=ssrc lines, candidates in
// the offer) and GStreamer webrtcbin (max-bundle: the second section is "m=audio 0" bundle-only).
// Values (ufrags, fingerprints, ssrcs) are made up. Written with LF; crlf() converts.
#include <iterator>
#include <string>
#include <string_view>

namespace rtc::sdp::test {

inline std::string crlf(std::string_view lf) {
    std::string out;
    for (const char c : lf) {
        if (c == '\n')
            out += "\r\n";
        else
            out.push_back(c);
    }
    return out;
}

inline constexpr std::string_view kChromiumOfferTemplate = R"(v=0
o=- 4611731400430051336 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0 1 2
a=extmap-allow-mixed
a=msid-semantic: WMS 5a1f
m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=ice-ufrag:Hq3z
a=ice-pwd:p0Ks3xQ7Lh2mVb9rT1yWcN8d
a=ice-options:trickle
a=fingerprint:sha-256 @FP1@
a=setup:actpass
a=mid:0
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
a=sendonly
a=msid:5a1f 9c2e
a=rtcp-mux
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:63 red/48000/2
a=fmtp:63 111/111
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:13 CN/8000
a=rtpmap:110 telephone-event/48000
a=rtpmap:126 telephone-event/8000
a=ssrc:1001 cname:u7JdQw2b
a=ssrc:1001 msid:5a1f 9c2e
m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 102 103 45 46 35
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=ice-ufrag:Hq3z
a=ice-pwd:p0Ks3xQ7Lh2mVb9rT1yWcN8d
a=ice-options:trickle
a=fingerprint:sha-256 @FP1@
a=setup:actpass
a=mid:1
a=extmap:14 urn:ietf:params:rtp-hdrext:toffset
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=extmap:13 urn:3gpp:video-orientation
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id
a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id
a=sendonly
a=msid:5a1f 7d3b
a=rtcp-mux
a=rtcp-rsize
a=rtpmap:96 VP8/90000
a=rtcp-fb:96 goog-remb
a=rtcp-fb:96 transport-cc
a=rtcp-fb:96 ccm fir
a=rtcp-fb:96 nack
a=rtcp-fb:96 nack pli
a=rtpmap:97 rtx/90000
a=fmtp:97 apt=96
a=rtpmap:98 VP9/90000
a=rtcp-fb:98 goog-remb
a=rtcp-fb:98 transport-cc
a=rtcp-fb:98 ccm fir
a=rtcp-fb:98 nack
a=rtcp-fb:98 nack pli
a=fmtp:98 profile-id=0
a=rtpmap:99 rtx/90000
a=fmtp:99 apt=98
a=rtpmap:102 H264/90000
a=rtcp-fb:102 goog-remb
a=rtcp-fb:102 nack
a=rtcp-fb:102 nack pli
a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f
a=rtpmap:103 rtx/90000
a=fmtp:103 apt=102
a=rtpmap:45 AV1/90000
a=rtcp-fb:45 nack
a=fmtp:45 level-idx=5;profile=0;tier=0
a=rtpmap:46 rtx/90000
a=fmtp:46 apt=45
a=rtpmap:35 ulpfec/90000
a=rid:q send
a=rid:h send
a=rid:f send
a=simulcast:send q;h;f
m=application 9 UDP/DTLS/SCTP webrtc-datachannel
c=IN IP4 0.0.0.0
a=ice-ufrag:Hq3z
a=ice-pwd:p0Ks3xQ7Lh2mVb9rT1yWcN8d
a=ice-options:trickle
a=fingerprint:sha-256 @FP1@
a=setup:actpass
a=mid:2
a=sctp-port:5000
a=max-message-size:262144
)";

inline constexpr std::string_view kAiortcOfferTemplate = R"(v=0
o=- 3911375424 3911375424 IN IP4 0.0.0.0
s=-
t=0 0
a=group:BUNDLE 0 1
a=msid-semantic:WMS *
m=audio 40001 UDP/TLS/RTP/SAVPF 96 0 8
c=IN IP4 127.0.0.1
a=sendrecv
a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid
a=extmap:2 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=mid:0
a=msid:b8a1c4d2-66e0 4e0f9a17-0c1b
a=rtcp:9 IN IP4 0.0.0.0
a=rtcp-mux
a=ssrc:2848462317 cname:7f1e03aa-5b7c-4d55-9c1e-2f9a8c8b0e61
a=rtpmap:96 opus/48000/2
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=candidate:8a2f5d1e0b4c 1 udp 2130706431 127.0.0.1 40001 typ host
a=end-of-candidates
a=ice-ufrag:aB3d
a=ice-pwd:Qm7TzL2xVw9pRk4sYc1nHf8e
a=fingerprint:sha-256 @FP2@
a=setup:actpass
m=video 40001 UDP/TLS/RTP/SAVPF 97 98 99 100 101 102
c=IN IP4 127.0.0.1
a=sendrecv
a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=mid:1
a=msid:b8a1c4d2-66e0 91c3e5f0-7a2d
a=rtcp:9 IN IP4 0.0.0.0
a=rtcp-mux
a=ssrc-group:FID 1394221150 3127740461
a=ssrc:1394221150 cname:7f1e03aa-5b7c-4d55-9c1e-2f9a8c8b0e61
a=ssrc:3127740461 cname:7f1e03aa-5b7c-4d55-9c1e-2f9a8c8b0e61
a=rtpmap:97 VP8/90000
a=rtcp-fb:97 nack
a=rtcp-fb:97 nack pli
a=rtcp-fb:97 goog-remb
a=rtpmap:98 rtx/90000
a=fmtp:98 apt=97
a=rtpmap:99 H264/90000
a=rtcp-fb:99 nack
a=rtcp-fb:99 nack pli
a=rtcp-fb:99 goog-remb
a=fmtp:99 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f
a=rtpmap:100 rtx/90000
a=fmtp:100 apt=99
a=rtpmap:101 H264/90000
a=rtcp-fb:101 nack
a=rtcp-fb:101 nack pli
a=rtcp-fb:101 goog-remb
a=fmtp:101 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f
a=rtpmap:102 rtx/90000
a=fmtp:102 apt=101
a=candidate:8a2f5d1e0b4c 1 udp 2130706431 127.0.0.1 40001 typ host
a=end-of-candidates
a=ice-ufrag:Zx9q
a=ice-pwd:Hb2kNw8rTq5mZc3vLx7pYd1s
a=fingerprint:sha-256 @FP2@
a=setup:actpass
)";

inline constexpr std::string_view kWebrtcbinOfferTemplate = R"(v=0
o=- 5723410339316183262 0 IN IP4 0.0.0.0
s=-
t=0 0
a=ice-options:trickle
a=group:BUNDLE video0 audio1
m=video 9 UDP/TLS/RTP/SAVPF 96
c=IN IP4 0.0.0.0
a=setup:actpass
a=ice-ufrag:Jt5wKp2cLr8hQn4v
a=ice-pwd:c9Xm3Fz7Rb1Ns6Wq2Ty8Lk4Hd0Vp5Gj
a=rtcp-mux
a=rtcp-rsize
a=sendonly
a=rtpmap:96 VP8/90000
a=rtcp-fb:96 nack
a=rtcp-fb:96 nack pli
a=rtcp-fb:96 ccm fir
a=ssrc:3484078950 msid:user3200328437@host-a1b2 webrtctransceiver0
a=ssrc:3484078950 cname:user3200328437@host-a1b2
a=mid:video0
a=fingerprint:sha-256 @FP3@
m=audio 0 UDP/TLS/RTP/SAVPF 97
c=IN IP4 0.0.0.0
a=bundle-only
a=setup:actpass
a=ice-ufrag:Jt5wKp2cLr8hQn4v
a=ice-pwd:c9Xm3Fz7Rb1Ns6Wq2Ty8Lk4Hd0Vp5Gj
a=rtcp-mux
a=rtcp-rsize
a=sendonly
a=rtpmap:97 OPUS/48000/2
a=rtcp-fb:97 nack
a=rtcp-fb:97 nack pli
a=fmtp:97 sprop-maxcapturerate=48000;sprop-stereo=0
a=ssrc:1862375533 msid:user3200328437@host-a1b2 webrtctransceiver1
a=ssrc:1862375533 cname:user3200328437@host-a1b2
a=mid:audio1
a=fingerprint:sha-256 @FP3@
)";

// Long lines kept out of the templates above (100 columns): each @FPn@ is a made-up sha-256
// fingerprint.
inline std::string with_fingerprints(std::string_view tmpl) {
    static constexpr std::string_view kFingerprints[] = {
        "A5:4D:CA:18:25:30:BB:1D:6D:13:2C:DE:D6:23:7B:2E::"
        "D9:1E:3F:72:1F:CB:19:71:17:44:94:D6:49:3C:9D:5C",
        "34:60:BE:31:20:1E:69:FE:DA:A0:EE:E8:B9:99:7F:5C::"
        "7C:29:99:FD:AF:E5:93:25:3C:D6:54:AF:4D:FA:D7:14",
        "27:A0:AE:B3:FE:E9:23:2F:8A:F2:21:1F:9E:E4:91:C5::"
        "B1:0B:EC:B5:56:3B:FC:1E:6F:93:42:7E:CB:C8:FE:29",
    };
    std::string out(tmpl);
    for (std::size_t i = 0; i < std::size(kFingerprints); ++i) {
        const std::string token = "@FP" + std::to_string(i + 1) + "@";
        for (auto at = out.find(token); at != std::string::npos; at = out.find(token))
            out.replace(at, token.size(), kFingerprints[i]);
    }
    return out;
}

inline const std::string kChromiumOffer = with_fingerprints(kChromiumOfferTemplate);
inline const std::string kAiortcOffer = with_fingerprints(kAiortcOfferTemplate);
inline const std::string kWebrtcbinOffer = with_fingerprints(kWebrtcbinOfferTemplate);

} // namespace rtc::sdp::test

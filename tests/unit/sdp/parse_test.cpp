// SDP parsing and serializing (RFC 8866) on offers in the style of Chromium, aiortc and
// webrtcbin, round trips, and malformed input.
#include "offers.hpp"
#include "sdp/parse.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace rtc::sdp;
using rtc::sdp::test::crlf;

namespace {

SessionDescription must_parse(std::string_view text) {
    auto r = parse(text);
    INFO(r.error);
    REQUIRE(r);
    return *r.description;
}

std::string parse_error(std::string_view text) {
    const auto r = parse(text);
    CHECK_FALSE(r);
    CHECK_FALSE(r.error.empty());
    return r.error;
}

bool has_other(const std::vector<Attribute>& list, std::string_view name, std::string_view value) {
    for (const auto& a : list)
        if (a.name == name && a.value == value)
            return true;
    return false;
}

constexpr std::string_view kHead = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n";

} // namespace

TEST_CASE("sdp: parse a Chromium offer (BUNDLE, rtx, simulcast, extmaps)") {
    const auto sd = must_parse(crlf(test::kChromiumOffer));
    CHECK(sd.origin.session_id == "4611731400430051336");
    CHECK(sd.origin.session_version == "2");
    CHECK(sd.origin.address == "127.0.0.1");
    CHECK(sd.extmap_allow_mixed);
    CHECK(sd.msid_semantic == "WMS 5a1f");
    CHECK(bundle_group(sd) == std::vector<std::string>{"0", "1", "2"});
    REQUIRE(sd.media.size() == 3);

    const auto& audio = sd.media[0];
    CHECK(audio.kind == MediaKind::Audio);
    CHECK(audio.port == 9);
    CHECK(audio.protocol == "UDP/TLS/RTP/SAVPF");
    CHECK(audio.formats.size() == 8);
    CHECK(audio.mid == "0");
    CHECK(audio.direction == Direction::SendOnly);
    CHECK(audio.rtcp_mux);
    CHECK_FALSE(audio.rtcp_rsize);
    CHECK(audio.ice_options == "trickle");
    CHECK(has_other(audio.other_attributes, "rtcp", "9 IN IP4 0.0.0.0"));
    REQUIRE(audio.connection);
    CHECK(audio.connection->address == "0.0.0.0");
    const Codec* opus = find_codec_by_name(audio, "OPUS");
    REQUIRE(opus != nullptr);
    CHECK(opus->payload_type == 111);
    CHECK(opus->clock_rate == 48000);
    CHECK(opus->channels == 2);
    CHECK(opus->fmtp == "minptime=10;useinbandfec=1");
    CHECK(opus->rtcp_fb == std::vector<std::string>{"transport-cc"});
    REQUIRE(find_codec(audio, 0) != nullptr);
    CHECK(find_codec(audio, 0)->name == "PCMU");
    CHECK(find_codec(audio, 0)->channels == 0);
    CHECK(find_codec(audio, 42) == nullptr);
    REQUIRE(audio.msids.size() == 1);
    CHECK(audio.msids[0].stream_id == "5a1f");
    CHECK(audio.msids[0].track_id == "9c2e");
    REQUIRE(audio.ssrcs.size() == 2);
    CHECK(audio.ssrcs[0].ssrc == 1001);
    CHECK(audio.ssrcs[0].attribute == "cname");
    CHECK(audio.ssrcs[0].value == "u7JdQw2b");
    CHECK(audio.ssrcs[1].value == "5a1f 9c2e");
    REQUIRE(audio.extmaps.size() == 4);
    CHECK(audio.extmaps[3].id == 4);
    CHECK(audio.extmaps[3].uri == "urn:ietf:params:rtp-hdrext:sdes:mid");
    CHECK_FALSE(audio.extmaps[3].direction);

    const auto& video = sd.media[1];
    CHECK(video.kind == MediaKind::Video);
    CHECK(video.rtcp_rsize);
    CHECK(rtx_payload_type(video, 96) == 97);
    CHECK(rtx_payload_type(video, 102) == 103);
    CHECK(rtx_payload_type(video, 45) == 46);
    CHECK_FALSE(rtx_payload_type(video, 35));
    REQUIRE(find_codec(video, 99) != nullptr);
    CHECK(rtx_apt(*find_codec(video, 99)) == 98);
    CHECK(find_codec(video, 96)->rtcp_fb.size() == 5);
    CHECK(find_codec(video, 96)->rtcp_fb[2] == "ccm fir");
    REQUIRE(video.rids.size() == 3);
    CHECK(video.rids[0].id == "q");
    CHECK(video.rids[2].id == "f");
    CHECK(video.rids[1].direction == RidDirection::Send);
    REQUIRE(video.simulcast);
    REQUIRE(video.simulcast->send.size() == 3);
    CHECK(video.simulcast->send[1] == SimulcastStream{SimulcastRid{"h", false}});
    CHECK(video.simulcast->recv.empty());

    const auto& data = sd.media[2];
    CHECK(data.kind == MediaKind::Application);
    CHECK(data.formats == std::vector<std::string>{"webrtc-datachannel"});
    CHECK(data.sctp_port == 5000);
    CHECK(data.max_message_size == 262144);
    CHECK(data.codecs.empty());

    const auto ice = effective_ice(sd, 1);
    CHECK(ice.ufrag == "Hq3z");
    CHECK(ice.pwd == "p0Ks3xQ7Lh2mVb9rT1yWcN8d");
    const auto fp = effective_fingerprint(sd, 0);
    REQUIRE(fp);
    CHECK(fp->algorithm == "sha-256");
    CHECK(fp->value.substr(0, 5) == "A5:4D");
    CHECK(effective_setup(sd, 2) == "actpass");
    CHECK(effective_direction(sd, 2) == Direction::SendRecv);
    CHECK(find_media_by_mid(sd, "1") == 1u);
    CHECK_FALSE(find_media_by_mid(sd, "7"));
}

TEST_CASE("sdp: parse an aiortc offer (ufrag per m-line, ssrc lines, candidates)") {
    const auto sd = must_parse(test::kAiortcOffer); // LF line ends
    REQUIRE(sd.media.size() == 2);
    CHECK(sd.msid_semantic == "WMS *");
    CHECK(sd.ice_ufrag.empty());
    CHECK(effective_ice(sd, 0) == IceCredentials{"aB3d", "Qm7TzL2xVw9pRk4sYc1nHf8e"});
    CHECK(effective_ice(sd, 1) == IceCredentials{"Zx9q", "Hb2kNw8rTq5mZc3vLx7pYd1s"});
    CHECK(effective_ice(sd, 5) == IceCredentials{});
    const auto& audio = sd.media[0];
    CHECK(audio.port == 40001);
    CHECK(audio.connection->address == "127.0.0.1");
    CHECK(audio.direction == Direction::SendRecv);
    REQUIRE(audio.candidates.size() == 1);
    CHECK(audio.candidates[0] == "8a2f5d1e0b4c 1 udp 2130706431 127.0.0.1 40001 typ host");
    CHECK(audio.end_of_candidates);
    const auto& video = sd.media[1];
    REQUIRE(video.ssrc_groups.size() == 1);
    CHECK(video.ssrc_groups[0].semantics == "FID");
    CHECK(video.ssrc_groups[0].ssrcs == std::vector<uint32_t>{1394221150u, 3127740461u});
    CHECK(video.ssrcs.size() == 2);
    CHECK(find_codec_by_name(video, "h264")->payload_type == 99);
    CHECK(rtx_payload_type(video, 101) == 102);
    CHECK(video.rids.empty());
    CHECK_FALSE(video.simulcast);
}

TEST_CASE("sdp: parse a webrtcbin max-bundle offer (m=audio 0 with bundle-only)") {
    const auto sd = must_parse(crlf(test::kWebrtcbinOffer));
    CHECK(sd.ice_options == "trickle");
    CHECK(bundle_group(sd) == std::vector<std::string>{"video0", "audio1"});
    REQUIRE(sd.media.size() == 2);
    CHECK(sd.media[0].port == 9);
    CHECK_FALSE(sd.media[0].bundle_only);
    CHECK(sd.media[1].port == 0);
    CHECK(sd.media[1].bundle_only);
    CHECK(sd.media[1].mid == "audio1");
    CHECK(find_codec_by_name(sd.media[1], "opus")->name == "OPUS");
    CHECK(sd.media[1].ssrcs[0].value == "user3200328437@host-a1b2 webrtctransceiver1");
}

TEST_CASE("sdp: serialize then parse gives the same description") {
    for (const auto& offer : {test::kChromiumOffer, test::kAiortcOffer, test::kWebrtcbinOffer}) {
        const auto first = must_parse(offer);
        const std::string text = serialize(first);
        CHECK(text.find("\r\n") != std::string::npos);
        CHECK(text.find('\n') == text.find("\r\n") + 1); // every line ends in CRLF
        CHECK(text.substr(0, 5) == "v=0\r\n");
        const auto second = must_parse(text);
        CHECK(second == first);
        CHECK(serialize(second) == text);
    }
}

TEST_CASE("sdp: unknown lines and attributes survive a round trip") {
    const std::string text = std::string(kHead) +
                             "i=session info\r\nb=AS:512\r\na=x-custom:1 2 3\r\na=flag\r\n"
                             "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nb=TIAS:100000\r\n"
                             "a=rtpmap:96 VP8/90000\r\na=x-google-flag:conference\r\n"
                             "a=rtcp-fb:* nack\r\na=extmap:5/recvonly urn:x:y attr1\r\n"
                             "a=ssrc:7 foo\r\na=fmtp:100 apt=96\r\n"
                             "a=simulcast:recv 1,~2;3 send ~4\r\nz=0 0\r\n";
    const auto sd = must_parse(text);
    CHECK(has_other(sd.other_attributes, "x-custom", "1 2 3"));
    CHECK(has_other(sd.other_attributes, "flag", ""));
    REQUIRE(sd.other_lines.size() == 2);
    CHECK(sd.other_lines[0] == Line{'i', "session info"});
    const auto& m = sd.media.at(0);
    CHECK(has_other(m.other_attributes, "x-google-flag", "conference"));
    CHECK(m.rtcp_fb_all == std::vector<std::string>{"nack"});
    REQUIRE(m.extmaps.size() == 1);
    CHECK(m.extmaps[0].direction == Direction::RecvOnly);
    CHECK(m.extmaps[0].attributes == "attr1");
    CHECK(m.ssrcs.at(0).attribute == "foo");
    CHECK(m.ssrcs.at(0).value.empty());
    // A payload type known only from fmtp (not in m=) is kept.
    REQUIRE(find_codec(m, 100) != nullptr);
    CHECK(find_codec(m, 100)->name.empty());
    // RFC 8853 §5.1: alternatives with "," and paused rids with "~".
    REQUIRE(m.simulcast);
    REQUIRE(m.simulcast->recv.size() == 2);
    CHECK(m.simulcast->recv[0] ==
          SimulcastStream{SimulcastRid{"1", false}, SimulcastRid{"2", true}});
    CHECK(m.simulcast->send[0] == SimulcastStream{SimulcastRid{"4", true}});
    CHECK(m.other_lines.size() == 2);
    const auto again = must_parse(serialize(sd));
    CHECK(again == sd);
}

TEST_CASE("sdp: LF and CRLF line ends parse the same") {
    CHECK(must_parse(test::kAiortcOffer) == must_parse(crlf(test::kAiortcOffer)));
}

TEST_CASE("sdp: malformed input gives an error naming the line") {
    SUBCASE("empty and missing v=") {
        CHECK(parse_error("").find("v=") != std::string::npos);
        CHECK(parse_error("o=- 1 1 IN IP4 0.0.0.0\r\nv=0\r\n") ==
              "line 1: missing v= (the first line must be v=0)");
        CHECK(parse_error("v=1\r\n").find("line 1") == 0);
    }
    SUBCASE("bad rtpmap") {
        const std::string base = std::string(kHead) + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n";
        for (const char* bad :
             {"a=rtpmap:111", "a=rtpmap:111 opus", "a=rtpmap:x opus/48000",
              "a=rtpmap:128 opus/48000", "a=rtpmap:111 opus/abc", "a=rtpmap:111 /48000",
              "a=rtpmap:111 opus/48000/", "a=rtpmap:111 opus/0", "a=rtpmap:111 opus/48000/two"}) {
            const std::string shown = bad;
            CAPTURE(shown);
            CHECK(parse_error(base + bad + "\r\n").find("line 6: bad a=rtpmap") == 0);
        }
    }
    SUBCASE("non-numeric and out-of-range ports") {
        for (const char* bad :
             {"m=audio x UDP/TLS/RTP/SAVPF 111", "m=audio 65536 RTP/AVP 0", "m=audio -1 RTP/AVP 0",
              "m=audio 9/x RTP/AVP 0", "m=audio 9 RTP/AVP abc", "m=audio 9 RTP/AVP 300",
              "m=audio 9 RTP/AVP"}) {
            const std::string shown = bad;
            CAPTURE(shown);
            CHECK(parse_error(std::string(kHead) + bad + "\r\n").find("line 5: bad m=") == 0);
        }
        CHECK(parse_error(std::string(kHead) + "m=audio 9 RTP/AVP 0\r\na=sctp-port:70000\r\n")
                  .find("line 6") == 0);
    }
    SUBCASE("embedded NUL and control characters") {
        std::string text = std::string(kHead) + "a=x:a";
        text.push_back('\0');
        text += "b\r\n";
        CHECK(parse_error(text) == "line 5: control character");
        CHECK(parse_error(std::string(kHead) + "s=a\rb\r\n").find("line 5") == 0);
    }
    SUBCASE("lines that are not <type>=<value>") {
        CHECK(parse_error(std::string(kHead) + "hello\r\n") == "line 5: expected <type>=<value>");
        CHECK(parse_error(std::string(kHead) + "a\r\n").find("line 5") == 0);
    }
    SUBCASE("bad known attributes") {
        const std::string base = std::string(kHead) + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n";
        for (const char* bad : {"a=extmap:0 urn:x",
                                "a=extmap:256 urn:x",
                                "a=extmap:1/sideways urn:x",
                                "a=extmap:1",
                                "a=ssrc:abc cname:x",
                                "a=ssrc:4294967296 cname:x",
                                "a=ssrc:1",
                                "a=ssrc-group:FID 1 x",
                                "a=rid:q sideways",
                                "a=simulcast:send",
                                "a=simulcast:send q;;f",
                                "a=simulcast:send q send h",
                                "a=simulcast:up q",
                                "a=fingerprint:sha-256",
                                "a=rtcp-fb:96",
                                "a=rtcp-fb:x nack",
                                "a=fmtp:abc x=1",
                                "a=msid:",
                                "a=max-message-size:big",
                                "c=IN IP4"}) {
            const std::string shown = bad;
            CAPTURE(shown);
            CHECK(parse_error(base + bad + "\r\n").find("line 6: ") == 0);
        }
        CHECK(parse_error(std::string("v=0\r\no=- 1 IN IP4 x\r\n")).find("line 2: bad o=") == 0);
        CHECK(parse_error(std::string("v=0\r\nt=now\r\n")).find("line 2: bad t=") == 0);
        CHECK(parse_error(std::string("v=0\r\na=group:\r\n")) == "line 2: bad a=group");
    }
    SUBCASE("huge counts") {
        std::string many = std::string(kHead);
        for (std::size_t i = 0; i <= kMaxMediaSections; ++i)
            many += "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n";
        CHECK(parse_error(many).find("more than " + std::to_string(kMaxMediaSections) +
                                     " m-sections") != std::string::npos);

        std::string attrs = std::string(kHead) + "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n";
        for (std::size_t i = 0; i <= kMaxAttributesPerSection; ++i)
            attrs += "a=x\r\n";
        CHECK(parse_error(attrs).find("more than 256 attributes") != std::string::npos);
        std::string session_attrs = std::string(kHead);
        for (std::size_t i = 0; i <= kMaxAttributesPerSection; ++i)
            session_attrs += "a=x\r\n";
        CHECK(parse_error(session_attrs).find("attributes") != std::string::npos);

        std::string big = std::string(kHead);
        while (big.size() <= kMaxSdpBytes)
            big += "i=padding padding padding padding\r\n";
        CHECK(parse_error(big).find("larger than") != std::string::npos);
    }
}

TEST_CASE("sdp: limits are per section, and a section at the limit parses") {
    std::string text = std::string(kHead);
    for (std::size_t s = 0; s < kMaxMediaSections; ++s) {
        text += "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n";
        if (s < 2)
            for (std::size_t i = 0; i < kMaxAttributesPerSection; ++i)
                text += "a=x\r\n";
    }
    const auto sd = must_parse(text);
    CHECK(sd.media.size() == kMaxMediaSections);
    CHECK(sd.media[1].other_attributes.size() == kMaxAttributesPerSection);
}

TEST_CASE("sdp: direction helpers") {
    CHECK(reverse(Direction::SendOnly) == Direction::RecvOnly);
    CHECK(reverse(Direction::RecvOnly) == Direction::SendOnly);
    CHECK(reverse(Direction::SendRecv) == Direction::SendRecv);
    CHECK(reverse(Direction::Inactive) == Direction::Inactive);
    CHECK(parse_direction("inactive") == Direction::Inactive);
    CHECK_FALSE(parse_direction("SENDONLY"));
    CHECK(to_string(Direction::RecvOnly) == "recvonly");
    CHECK(iequals("OpUs", "opus"));
    CHECK_FALSE(iequals("opus", "opus2"));
    Codec rtx;
    rtx.name = "rtx";
    rtx.fmtp = "rtx-time=3000; apt=96";
    CHECK(rtx_apt(rtx) == 96);
    rtx.fmtp = "apt=x";
    CHECK_FALSE(rtx_apt(rtx));
}

// The SFU's answers (RFC 8829 §5.3.1, RFC 8843 BUNDLE) to offers in the style of Chromium,
// aiortc and webrtcbin.
#include "offers.hpp"
#include "sdp/answer.hpp"
#include "sdp/parse.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>

using namespace rtc::sdp;

namespace {

constexpr std::string_view kFingerprint =
    "0B:1C:2D:3E:4F:50:61:72:83:94:A5:B6:C7:D8:E9:FA:0B:1C:2D:3E:4F:50:61:72:83:94:A5:B6:C7:D8:"
    "E9:FA";

SessionDescription offer_of(std::string_view text) {
    auto r = parse(text);
    INFO(r.error);
    REQUIRE(r);
    return *r.description;
}

AnswerOptions sfu_options() {
    AnswerOptions o;
    o.ice_ufrag = "sfuU";
    o.ice_pwd = "sfuPasswordSfuPassword24";
    o.fingerprint = std::string(kFingerprint);
    o.candidates = {{"192.0.2.10", 7000, "udp"}, {"192.0.2.10", 7000, "tcp"}};
    return o;
}

SessionDescription answer_of(const SessionDescription& offer, const AnswerOptions& o,
                             const std::vector<MediaPlan>& plans) {
    auto r = build_answer(offer, o, plans);
    INFO(r.error);
    REQUIRE(r);
    // Whatever the builder makes serializes and parses back unchanged.
    const auto back = parse(serialize(*r.answer));
    INFO(back.error);
    REQUIRE(back);
    CHECK(*back.description == *r.answer);
    return *r.answer;
}

std::vector<uint8_t> pts(const MediaDescription& m) {
    std::vector<uint8_t> out;
    for (const auto& c : m.codecs)
        out.push_back(c.payload_type);
    return out;
}

std::vector<uint16_t> extmap_ids(const MediaDescription& m) {
    std::vector<uint16_t> out;
    for (const auto& e : m.extmaps)
        out.push_back(e.id);
    return out;
}

} // namespace

TEST_CASE("sdp: answer a Chromium simulcast offer") {
    const auto offer = offer_of(test::crlf(test::kChromiumOffer));
    const std::vector<MediaPlan> plans = {{true, Direction::RecvOnly, std::nullopt},
                                          {true, Direction::RecvOnly, std::nullopt},
                                          {false, Direction::Inactive, std::nullopt}};
    const auto ans = answer_of(offer, sfu_options(), plans);
    CHECK(ans.ice_lite);
    REQUIRE(ans.media.size() == 3);
    REQUIRE(ans.groups.size() == 1);
    CHECK(ans.groups[0].semantics == "BUNDLE");
    CHECK(ans.groups[0].mids == std::vector<std::string>{"0", "1"});

    const auto& audio = ans.media[0];
    CHECK(audio.mid == "0");
    CHECK(audio.port == 7000);
    CHECK(audio.connection->address == "192.0.2.10");
    CHECK(audio.direction == Direction::RecvOnly);
    CHECK(pts(audio) == std::vector<uint8_t>{111});
    CHECK(audio.formats == std::vector<std::string>{"111"});
    CHECK(audio.codecs[0].fmtp == "minptime=10;useinbandfec=1");
    CHECK(audio.codecs[0].rtcp_fb.empty()); // transport-cc is off by default
    CHECK(extmap_ids(audio) == std::vector<uint16_t>{4});
    CHECK(audio.ice_ufrag == "sfuU");
    CHECK(audio.setup == "passive");
    REQUIRE(audio.fingerprints.size() == 1);
    CHECK(audio.fingerprints[0].algorithm == "sha-256");
    CHECK(audio.fingerprints[0].value == kFingerprint);
    CHECK(audio.rtcp_mux);
    CHECK_FALSE(audio.rtcp_rsize);
    REQUIRE(audio.candidates.size() == 2);
    CHECK(audio.candidates[0] == "1 1 udp 2130706431 192.0.2.10 7000 typ host");
    CHECK(audio.candidates[1].find(" tcp ") != std::string::npos);
    CHECK(audio.candidates[1].find("192.0.2.10 7000 typ host tcptype passive") !=
          std::string::npos);
    CHECK(audio.end_of_candidates);
    CHECK(audio.msids.empty());
    CHECK(audio.ssrcs.empty());

    const auto& video = ans.media[1];
    CHECK(video.direction == Direction::RecvOnly);
    // VP8, VP9, H264 and AV1 with their rtx in the offer's order; ulpfec dropped.
    CHECK(pts(video) == std::vector<uint8_t>{96, 97, 98, 99, 102, 103, 45, 46});
    CHECK(find_codec(video, 96)->rtcp_fb ==
          std::vector<std::string>{"goog-remb", "ccm fir", "nack", "nack pli"});
    CHECK(find_codec(video, 98)->fmtp == "profile-id=0");
    CHECK(rtx_payload_type(video, 45) == 46);
    CHECK(extmap_ids(video) == std::vector<uint16_t>{4, 10, 11});
    CHECK(video.rtcp_rsize);
    CHECK(video.candidates.empty()); // only the first bundled section carries them
    REQUIRE(video.rids.size() == 3);
    CHECK(video.rids[0] == Rid{"q", RidDirection::Recv, ""});
    REQUIRE(video.simulcast);
    CHECK(video.simulcast->send.empty());
    CHECK(video.simulcast->recv == offer.media[1].simulcast->send);

    const auto& data = ans.media[2];
    CHECK(data.port == 0);
    CHECK(data.mid == "2");
    CHECK_FALSE(data.sctp_port);
    CHECK(data.candidates.empty());

    const std::string text = serialize(ans);
    CHECK(text.find("a=ice-lite\r\n") != std::string::npos);
    CHECK(text.find("a=group:BUNDLE 0 1\r\n") != std::string::npos);
    CHECK(text.find("a=simulcast:recv q;h;f\r\n") != std::string::npos);
    CHECK(text.find("a=rid:h recv\r\n") != std::string::npos);
    CHECK(text.find("m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n") != std::string::npos);
}

TEST_CASE("sdp: answer options widen rtcp-fb, extensions and cap codecs") {
    const auto offer = offer_of(test::kChromiumOffer);
    auto o = sfu_options();
    o.rtcp_fb.push_back("transport-cc");
    o.header_extensions.push_back(
        "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01");
    o.max_codecs = 1;
    o.codecs = {"h264", "opus"};
    o.rtx = false;
    const std::vector<MediaPlan> plans(3, MediaPlan{});
    const auto ans = answer_of(offer, o, plans);
    CHECK(find_codec(ans.media[0], 111)->rtcp_fb == std::vector<std::string>{"transport-cc"});
    CHECK(pts(ans.media[1]) == std::vector<uint8_t>{102}); // first supported; no rtx
    CHECK(find_codec(ans.media[1], 102)->rtcp_fb ==
          std::vector<std::string>{"goog-remb", "nack", "nack pli"});
    CHECK(extmap_ids(ans.media[0]) == std::vector<uint16_t>{3, 4});
    CHECK(extmap_ids(ans.media[1]) == std::vector<uint16_t>{3, 4, 10, 11});
}

TEST_CASE("sdp: a data channel section is echoed when the plan accepts it") {
    const auto offer = offer_of(test::kChromiumOffer);
    const std::vector<MediaPlan> plans = {{false, Direction::Inactive, std::nullopt},
                                          {false, Direction::Inactive, std::nullopt},
                                          {true, Direction::SendRecv, std::nullopt}};
    const auto ans = answer_of(offer, sfu_options(), plans);
    CHECK(ans.media[0].port == 0);
    CHECK(ans.media[1].port == 0);
    const auto& data = ans.media[2];
    CHECK(data.port == 7000);
    CHECK(data.sctp_port == 5000);
    CHECK(data.max_message_size == 262144);
    CHECK(data.formats == std::vector<std::string>{"webrtc-datachannel"});
    CHECK_FALSE(data.direction);
    CHECK(data.candidates.size() == 2); // the first accepted bundled section
    CHECK(ans.groups.at(0).mids == std::vector<std::string>{"2"});
}

TEST_CASE("sdp: answer an aiortc offer with send streams and no extension-id collisions") {
    const auto offer = offer_of(test::kAiortcOffer);
    auto o = sfu_options();
    // aiortc 1.4 maps id 2 to audio-level on audio and to abs-send-time on video in one bundle;
    // answering both breaks its receive loop, so both are dropped, sdes:mid (id 1) stays.
    o.header_extensions.push_back("urn:ietf:params:rtp-hdrext:ssrc-audio-level");
    o.header_extensions.push_back("http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time");
    SendStream audio_out{11111111u, std::nullopt, "sfu-cname", "room1", "alice-audio"};
    SendStream video_out{22222222u, 33333333u, "sfu-cname", "room1", "alice-video"};
    const std::vector<MediaPlan> plans = {{true, Direction::SendRecv, audio_out},
                                          {true, Direction::SendRecv, video_out}};
    const auto ans = answer_of(offer, o, plans);
    CHECK(ans.msid_semantic == "WMS");
    CHECK(ans.groups.at(0).mids == std::vector<std::string>{"0", "1"});
    const auto& audio = ans.media[0];
    CHECK(audio.direction == Direction::SendRecv);
    CHECK(pts(audio) == std::vector<uint8_t>{96});
    CHECK(extmap_ids(audio) == std::vector<uint16_t>{1});
    CHECK(audio.msids == std::vector<Msid>{{"room1", "alice-audio"}});
    CHECK(audio.ssrcs == std::vector<SsrcLine>{{11111111u, "cname", "sfu-cname"},
                                               {11111111u, "msid", "room1 alice-audio"}});
    CHECK(audio.ssrc_groups.empty());
    CHECK(audio.ice_ufrag == "sfuU"); // every accepted section repeats the transport
    CHECK(audio.candidates.size() == 2);

    const auto& video = ans.media[1];
    CHECK(pts(video) == std::vector<uint8_t>{97, 98, 99, 100, 101, 102});
    CHECK(extmap_ids(video) == std::vector<uint16_t>{1});
    CHECK(find_codec(video, 97)->rtcp_fb ==
          std::vector<std::string>{"nack", "nack pli", "goog-remb"});
    REQUIRE(video.ssrc_groups.size() == 1);
    CHECK(video.ssrc_groups[0] == SsrcGroup{"FID", {22222222u, 33333333u}});
    CHECK(video.ssrcs.size() == 4);
    CHECK(video.ssrcs[2].ssrc == 33333333u);
    CHECK(video.candidates.empty());
    CHECK(video.rids.empty());
    CHECK_FALSE(video.simulcast);
    CHECK(video.ice_ufrag == "sfuU");
    CHECK(video.setup == "passive");

    // Without the conflict (only one of the two wanted), the other keeps its offered id.
    auto o2 = sfu_options();
    o2.header_extensions.push_back("urn:ietf:params:rtp-hdrext:ssrc-audio-level");
    const auto ans2 = answer_of(offer, o2, plans);
    CHECK(extmap_ids(ans2.media[0]) == std::vector<uint16_t>{1, 2});
    CHECK(extmap_ids(ans2.media[1]) == std::vector<uint16_t>{1});
}

TEST_CASE("sdp: answer a webrtcbin max-bundle offer (bundle-only section accepted)") {
    const auto offer = offer_of(test::kWebrtcbinOffer);
    auto o = sfu_options();
    o.setup = "active";
    o.candidates = {{"2001:db8::5", 7100, "udp"}};
    const std::vector<MediaPlan> plans(2, MediaPlan{});
    const auto ans = answer_of(offer, o, plans);
    CHECK(ans.groups.at(0).mids == std::vector<std::string>{"video0", "audio1"});
    const auto& video = ans.media[0];
    CHECK(video.port == 7100);
    CHECK(video.connection->addr_type == "IP6");
    CHECK(video.setup == "active");
    CHECK(video.direction == Direction::RecvOnly);
    CHECK(find_codec(video, 96)->rtcp_fb ==
          std::vector<std::string>{"nack", "nack pli", "ccm fir"});
    CHECK(video.candidates.size() == 1);
    const auto& audio = ans.media[1];
    CHECK(audio.port == 7100);
    CHECK(audio.mid == "audio1");
    CHECK_FALSE(audio.bundle_only);
    CHECK(pts(audio) == std::vector<uint8_t>{97}); // "OPUS" matches "opus"
    CHECK(audio.codecs[0].name == "OPUS");
    CHECK(audio.candidates.empty());
}

TEST_CASE("sdp: answer directions are narrowed to what the offer allows") {
    auto offer = offer_of(test::kWebrtcbinOffer); // both sections sendonly
    SendStream out{5u, std::nullopt, "c", "s", "t"};
    std::vector<MediaPlan> plans = {{true, Direction::SendRecv, out},
                                    {true, Direction::SendOnly, out}};
    auto ans = answer_of(offer, sfu_options(), plans);
    CHECK(ans.media[0].direction == Direction::RecvOnly);
    CHECK(ans.media[0].ssrcs.empty()); // nothing is sent, so no ssrc lines
    CHECK(ans.media[1].direction == Direction::Inactive);

    offer.media[0].direction = Direction::RecvOnly;
    offer.media[1].direction = Direction::Inactive;
    ans = answer_of(offer, sfu_options(), plans);
    CHECK(ans.media[0].direction == Direction::SendOnly);
    CHECK(ans.media[0].ssrcs.size() == 2);
    CHECK(ans.media[0].msids.size() == 1);
    CHECK(ans.media[1].direction == Direction::Inactive);
}

TEST_CASE("sdp: rejected sections keep their mid and leave the bundle") {
    auto offer = offer_of(test::kAiortcOffer);
    SUBCASE("plan rejects") {
        const auto ans = answer_of(offer, sfu_options(),
                                   {{false, Direction::Inactive, std::nullopt}, MediaPlan{}});
        CHECK(ans.media[0].port == 0);
        CHECK(ans.media[0].mid == "0");
        CHECK(ans.media[0].formats == offer.media[0].formats);
        // aiortc 1.4 needs transport attributes, rtcp-mux and codecs even here.
        CHECK(ans.media[0].direction == Direction::Inactive);
        CHECK(ans.media[0].ice_ufrag == "sfuU");
        CHECK(ans.media[0].setup == "passive");
        CHECK(ans.media[0].rtcp_mux);
        CHECK(pts(ans.media[0]) == std::vector<uint8_t>{96, 0, 8});
        CHECK(ans.media[0].codecs[0].rtcp_fb.empty());
        CHECK(ans.media[0].candidates.empty());
        CHECK(ans.media[0].extmaps.empty());
        CHECK(ans.groups.at(0).mids == std::vector<std::string>{"1"});
        CHECK(ans.media[1].candidates.size() == 2); // now the first bundled section
    }
    SUBCASE("no supported codec") {
        auto o = sfu_options();
        o.codecs = {"VP8"};
        const auto ans = answer_of(offer, o, {MediaPlan{}, MediaPlan{}});
        CHECK(ans.media[0].port == 0);
        CHECK(pts(ans.media[1]) == std::vector<uint8_t>{97, 98});
    }
    SUBCASE("the offerer rejected it (port 0 without bundle-only)") {
        offer.media[1].port = 0;
        const auto ans = answer_of(offer, sfu_options(), {MediaPlan{}, MediaPlan{}});
        CHECK(ans.media[1].port == 0);
        CHECK(ans.media[0].port == 7000);
    }
    SUBCASE("plain RTP/AVP and no rtcp-mux are not served") {
        offer.media[0].protocol = "RTP/AVP";
        offer.media[1].rtcp_mux = false;
        const auto ans = answer_of(offer, sfu_options(), {MediaPlan{}, MediaPlan{}});
        CHECK(ans.media[0].port == 0);
        CHECK(ans.media[0].protocol == "RTP/AVP");
        CHECK(ans.media[1].port == 0);
        CHECK(ans.groups.empty());
    }
}

TEST_CASE("sdp: answer errors") {
    const auto offer = offer_of(test::kAiortcOffer);
    const std::vector<MediaPlan> two(2, MediaPlan{});
    CHECK(build_answer(offer, sfu_options(), {MediaPlan{}}).error.find("one plan per") == 0);
    auto o = sfu_options();
    o.ice_pwd.clear();
    CHECK_FALSE(build_answer(offer, o, two));
    o = sfu_options();
    o.fingerprint.clear();
    CHECK_FALSE(build_answer(offer, o, two));
    o = sfu_options();
    o.setup = "actpass";
    CHECK_FALSE(build_answer(offer, o, two));

    auto no_ice = offer;
    no_ice.media[1].ice_pwd.clear();
    const auto r = build_answer(no_ice, sfu_options(), two);
    CHECK_FALSE(r);
    CHECK(r.error == "m-section 1: the offer has no ice-ufrag/ice-pwd");

    auto passive = offer;
    passive.media[0].setup = "passive";
    CHECK(build_answer(passive, sfu_options(), two).error.find("a=setup:passive") !=
          std::string::npos);
    auto active_opts = sfu_options();
    active_opts.setup = "active";
    CHECK(build_answer(passive, active_opts, two)); // passive offer, active answer

    auto dup = offer;
    dup.media[1].mid = "0";
    CHECK(build_answer(dup, sfu_options(), two).error == "m-section 1: duplicate mid '0'");

    auto no_fp = offer;
    no_fp.media[0].fingerprints.clear();
    CHECK_FALSE(build_answer(no_fp, sfu_options(), two));
    // ... unless that section is rejected anyway.
    CHECK(build_answer(no_fp, sfu_options(), {{false, Direction::Inactive, {}}, MediaPlan{}}));
}

TEST_CASE("sdp: rid restrictions keep only accepted payload types") {
    auto offer = offer_of(test::kChromiumOffer);
    offer.media[1].rids[0].restrictions = "pt=96,35;max-width=320";
    offer.media[1].rids[1].restrictions = "pt=35";
    offer.media[1].simulcast->send[2][0].paused = true;
    const auto ans = answer_of(offer, sfu_options(), std::vector<MediaPlan>(3, MediaPlan{}));
    const auto& v = ans.media[1];
    CHECK(v.rids[0].restrictions == "pt=96;max-width=320");
    CHECK(v.rids[1].restrictions.empty());
    CHECK(v.simulcast->recv[2][0].paused);
    CHECK(serialize(ans).find("a=simulcast:recv q;h;~f\r\n") != std::string::npos);

    // A sendrecv plan still receives the simulcast; a sendonly one drops rids and simulcast.
    auto send_offer = offer;
    send_offer.media[1].direction = Direction::SendRecv;
    const auto ans2 = answer_of(send_offer, sfu_options(),
                                {MediaPlan{},
                                 {true, Direction::SendOnly, std::nullopt},
                                 {false, Direction::Inactive, std::nullopt}});
    CHECK(ans2.media[1].direction == Direction::SendOnly);
    CHECK(ans2.media[1].rids.empty());
    CHECK_FALSE(ans2.media[1].simulcast);
}

TEST_CASE("sdp: answer origin is deterministic and settable") {
    const auto offer = offer_of(test::kAiortcOffer);
    const std::vector<MediaPlan> plans(2, MediaPlan{});
    const auto a = answer_of(offer, sfu_options(), plans);
    const auto b = answer_of(offer, sfu_options(), plans);
    CHECK(a == b);
    CHECK(a.origin.session_id != "0");
    auto o = sfu_options();
    o.session_id = 42;
    o.session_version = 3;
    const auto c = answer_of(offer, o, plans);
    CHECK(c.origin.session_id == "42");
    CHECK(c.origin.session_version == "3");
}

TEST_CASE("sdp: a legacy DTLS/SCTP data channel (aiortc 1.4) is answered in kind") {
    auto offer = offer_of(test::kAiortcOffer);
    MediaDescription data;
    data.kind = MediaKind::Application;
    data.media = "application";
    data.port = 40001;
    data.protocol = "DTLS/SCTP";
    data.formats = {"5000"};
    data.mid = "2";
    data.other_attributes.push_back({"sctpmap", "5000 webrtc-datachannel 65535"});
    data.ice_ufrag = "Yw4e";
    data.ice_pwd = "Lp6sKd9fGh2jQw5eRt8yUi1o";
    data.fingerprints = offer.media[0].fingerprints;
    data.setup = "actpass";
    offer.media.push_back(data);
    offer.groups[0].mids.push_back("2");
    CHECK(remote_sctp_port(offer.media[2]) == 5000);
    CHECK(remote_sctp_port(offer.media[0]) == 5000);
    offer.media[2].formats = {"5001"};
    CHECK(remote_sctp_port(offer.media[2]) == 5001);

    auto o = sfu_options();
    o.sctp_port = 5002;
    const auto ans = answer_of(offer, o, std::vector<MediaPlan>(3, MediaPlan{}));
    const auto& a = ans.media[2];
    CHECK(a.port == 7000);
    CHECK(a.protocol == "DTLS/SCTP");
    CHECK(a.formats == std::vector<std::string>{"5002"});
    CHECK_FALSE(a.sctp_port);
    REQUIRE(a.other_attributes.size() == 1);
    CHECK(a.other_attributes[0] == Attribute{"sctpmap", "5002 webrtc-datachannel 65535"});
    CHECK(a.max_message_size == 262144);
    CHECK(remote_sctp_port(a) == 5002);
    CHECK(ans.groups.at(0).mids == std::vector<std::string>{"0", "1", "2"});

    MediaDescription modern;
    modern.sctp_port = 6000;
    CHECK(remote_sctp_port(modern) == 6000);
}

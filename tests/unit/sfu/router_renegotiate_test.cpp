// Subsequent offers of one receiving PeerConnection (RFC 8829 §5.2.2, §5.3.2) in sfu::Router:
// sections matched by mid, tracks of several streams on one subscriber peer.
#include "sdp/parse.hpp"
#include "sfu/router.hpp"
#include "tls/credentials.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

using namespace rtc;

namespace {

constexpr std::string_view kFingerprint =
    "01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14:15:16:17:18:19:1A:1B:1C:1D:1E:"
    "1F:20";

struct Section {
    std::string kind; // "audio" or "video"
    std::string mid;
    std::string direction = "recvonly";
    int port = 9; // 0: stopped (RFC 8829 §5.2.2)
};

// An offer in Chromium's shape: BUNDLE of the live sections, mid extension, one ICE ufrag.
std::string offer(const std::vector<Section>& sections, std::string_view ufrag = "peer",
                  std::string_view fingerprint = kFingerprint) {
    std::string s = "v=0\r\no=- 7 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE";
    for (const auto& m : sections)
        if (m.port != 0)
            s += " " + m.mid;
    s += "\r\n";
    for (const auto& m : sections) {
        const bool video = m.kind == "video";
        s += "m=" + m.kind + " " + std::to_string(m.port) + " UDP/TLS/RTP/SAVPF " +
             (video ? "96 97" : "111") + "\r\nc=IN IP4 0.0.0.0\r\na=mid:" + m.mid +
             "\r\na=" + m.direction +
             "\r\na=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=rtcp-mux\r\n";
        s += video ? "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack pli\r\na=rtpmap:97 H264/90000\r\n"
                   : "a=rtpmap:111 opus/48000/2\r\n";
        s += "a=ice-ufrag:" + std::string(ufrag) + "\r\na=ice-pwd:peerpasswordpeerpassword\r\n";
        s += "a=fingerprint:sha-256 " + std::string(fingerprint) + "\r\na=setup:actpass\r\n";
    }
    return s;
}

const std::vector<Section> kPublish = {{"audio", "0", "sendonly"}, {"video", "1", "sendonly"}};

sdp::SessionDescription parsed(const std::string& text) {
    auto p = sdp::parse(text);
    REQUIRE(p);
    return *p.description;
}

uint32_t ssrc_of(const sdp::MediaDescription& m) {
    REQUIRE(!m.ssrcs.empty());
    return m.ssrcs.front().ssrc;
}

using Router = sfu::Router;

struct Fixture {
    Router::TimePoint now = std::chrono::steady_clock::time_point(std::chrono::seconds(100));
    sfu::Router router{config(), now};
    std::string publisher_a;
    std::string viewer; // a subscriber of "a" (mids 0 audio, 1 video)
    sdp::SessionDescription first;

    static sfu::RouterConfig config() {
        sfu::RouterConfig c;
        static const auto credentials = tls::Credentials::self_signed(
            std::chrono::system_clock::time_point(std::chrono::hours(24 * 20000)));
        c.certificate = credentials;
        c.candidates = {{util::IpAddress::parse("127.0.0.1").value(), 7882}};
        return c;
    }

    Fixture() {
        auto a = router.publish("a", offer(kPublish, "puba"), now);
        REQUIRE(a.status == 201);
        publisher_a = a.resource;
        REQUIRE(router.publish("b", offer(kPublish, "pubb"), now).status == 201);
        auto s = router.subscribe("a", offer({{"audio", "0"}, {"video", "1"}}), now);
        REQUIRE(s.status == 201);
        viewer = s.resource;
        first = parsed(s.answer);
    }
};

} // namespace

TEST_CASE("sfu router renegotiate: a second stream's tracks join, the first keeps its SSRCs") {
    Fixture f;
    const std::vector<Section> four = {
        {"audio", "0"}, {"video", "1"}, {"audio", "2"}, {"video", "3"}};
    auto n = f.router.renegotiate(f.viewer, "b", offer(four), f.now);
    REQUIRE(n.status == 200);
    CHECK(n.resource == f.viewer);
    const auto answer = parsed(n.answer);
    REQUIRE(answer.media.size() == 4);
    // Known mids answer as before: same SSRC, same msid, same payload type.
    for (std::size_t i = 0; i < 2; ++i) {
        CHECK(ssrc_of(answer.media[i]) == ssrc_of(f.first.media[i]));
        CHECK(answer.media[i].msids == f.first.media[i].msids);
        CHECK(answer.media[i].formats == f.first.media[i].formats);
        CHECK(answer.media[i].direction == sdp::Direction::SendOnly);
    }
    // New mids get "b"'s tracks, by kind, with new SSRCs.
    for (std::size_t i = 2; i < 4; ++i) {
        CHECK(answer.media[i].port != 0);
        CHECK(answer.media[i].direction == sdp::Direction::SendOnly);
        REQUIRE(answer.media[i].msids.size() == 1);
        CHECK(answer.media[i].msids[0].stream_id == "b");
        CHECK(ssrc_of(answer.media[i]) != ssrc_of(answer.media[i - 2]));
    }
    REQUIRE(answer.media[3].codecs.size() == 1); // the publisher's codec only
    CHECK(answer.media[3].codecs[0].name == "VP8");
    // RFC 8829 §5.3.2: a subsequent answer has a greater o= version, the same ICE and DTLS.
    CHECK(answer.origin.session_version == "2");
    CHECK(answer.origin.session_id == f.first.origin.session_id);
    CHECK(sdp::effective_ice(answer, 0) == sdp::effective_ice(f.first, 0));
    CHECK(f.router.mids(f.viewer, "a") == std::vector<std::string>{"0", "1"});
    CHECK(f.router.mids(f.viewer, "b") == std::vector<std::string>{"2", "3"});
    CHECK(f.router.stats().subscribers == 1);

    // The same offer again changes nothing but the version.
    auto again = f.router.renegotiate(f.viewer, "", offer(four), f.now);
    REQUIRE(again.status == 200);
    const auto same = parsed(again.answer);
    for (std::size_t i = 0; i < 4; ++i)
        CHECK(ssrc_of(same.media[i]) == ssrc_of(answer.media[i]));
    CHECK(same.origin.session_version == "3");
}

TEST_CASE("sfu router renegotiate: a stopped section is rejected and detached, its slot reused") {
    Fixture f;
    const std::vector<Section> four = {
        {"audio", "0"}, {"video", "1"}, {"audio", "2"}, {"video", "3"}};
    auto grown = f.router.renegotiate(f.viewer, "b", offer(four), f.now);
    REQUIRE(grown.status == 200);
    const auto before = parsed(grown.answer);

    // The page stopped "a"'s transceivers (port 0, RFC 8829 §5.2.2).
    auto n = f.router.renegotiate(f.viewer, "",
                                  offer({{"audio", "0", "recvonly", 0},
                                         {"video", "1", "recvonly", 0},
                                         {"audio", "2"},
                                         {"video", "3"}}),
                                  f.now);
    REQUIRE(n.status == 200);
    auto answer = parsed(n.answer);
    CHECK(answer.media[0].port == 0);
    CHECK(answer.media[1].port == 0);
    CHECK(answer.media[1].ssrcs.empty());
    CHECK(ssrc_of(answer.media[3]) == ssrc_of(before.media[3]));
    CHECK(f.router.mids(f.viewer, "a").empty());
    CHECK(f.router.mids(f.viewer, "b") == std::vector<std::string>{"2", "3"});
    CHECK(sdp::bundle_group(answer) == std::vector<std::string>{"2", "3"});

    // An inactive section is answered without media and detached too.
    n = f.router.renegotiate(f.viewer, "",
                             offer({{"audio", "0", "recvonly", 0},
                                    {"video", "1", "recvonly", 0},
                                    {"audio", "2", "inactive"},
                                    {"video", "3"}}),
                             f.now);
    REQUIRE(n.status == 200);
    answer = parsed(n.answer);
    CHECK(answer.media[2].port != 0); // still bundled (RFC 8829 §5.3.1), but carries nothing
    CHECK(answer.media[2].direction == sdp::Direction::Inactive);
    CHECK(answer.media[2].ssrcs.empty());
    CHECK(sdp::bundle_group(answer) == std::vector<std::string>{"2", "3"});
    CHECK(f.router.mids(f.viewer, "b") == std::vector<std::string>{"3"});

    // Chromium recycles the stopped m-lines with new mids: they get "a"'s tracks again.
    n = f.router.renegotiate(
        f.viewer, "a",
        offer({{"audio", "4"}, {"video", "5"}, {"audio", "2", "inactive"}, {"video", "3"}}), f.now);
    REQUIRE(n.status == 200);
    answer = parsed(n.answer);
    CHECK(answer.media[0].port != 0);
    CHECK(answer.media[1].port != 0);
    CHECK(answer.media[1].msids[0].stream_id == "a");
    CHECK(ssrc_of(answer.media[1]) != ssrc_of(f.first.media[1]));
    CHECK(f.router.mids(f.viewer, "a") == std::vector<std::string>{"4", "5"});
    CHECK(ssrc_of(answer.media[3]) == ssrc_of(before.media[3]));
}

TEST_CASE("sfu router renegotiate: refusals") {
    Fixture f;
    const std::vector<Section> four = {
        {"audio", "0"}, {"video", "1"}, {"audio", "2"}, {"video", "3"}};
    // RFC 8829 §5.2.2: the ufrag changes only with an ICE restart; the DTLS identity never.
    CHECK(f.router.renegotiate(f.viewer, "b", offer(four, "other"), f.now).status == 400);
    CHECK(f.router
              .renegotiate(f.viewer, "b",
                           offer(four, "peer",
                                 "AA:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14:"
                                 "15:16:17:18:19:1A:1B:1C:1D:1E:1F:20"),
                           f.now)
              .status == 400);
    CHECK(f.router.renegotiate(f.viewer, "b", "v=0\r\nnot sdp", f.now).status == 400);
    CHECK(f.router.renegotiate("no-such-resource", "b", offer(four), f.now).status == 404);
    auto pub = f.router.publish("c", offer(kPublish, "pubc"), f.now);
    REQUIRE(pub.status == 201);
    CHECK(f.router.renegotiate(pub.resource, "b", offer(four), f.now).status == 404);
    // New sections for a stream nobody publishes: 409; without new sections it is fine.
    CHECK(f.router.renegotiate(f.viewer, "nobody", offer(four), f.now).status == 409);
    CHECK(f.router.renegotiate(f.viewer, "nobody", offer({{"audio", "0"}, {"video", "1"}}), f.now)
              .status == 200);
    // Nothing changed by the refusals: the first tracks are intact.
    CHECK(f.router.mids(f.viewer, "a") == std::vector<std::string>{"0", "1"});
    CHECK(f.router.mids(f.viewer, "b").empty());
}

TEST_CASE("sfu router renegotiate: a publisher leaving detaches only its tracks") {
    Fixture f;
    const std::vector<Section> four = {
        {"audio", "0"}, {"video", "1"}, {"audio", "2"}, {"video", "3"}};
    auto grown = f.router.renegotiate(f.viewer, "b", offer(four), f.now);
    REQUIRE(grown.status == 200);
    auto b = f.router.mids(f.viewer, "b");
    CHECK(f.router.detach(f.viewer, "b") == b);
    // The publisher of "a" goes: the viewer stays, with its other tracks.
    REQUIRE(f.router.remove(f.publisher_a));
    CHECK(f.router.has(f.viewer));
    CHECK(f.router.stats().publishers == 1);
    CHECK(f.router.stats().subscribers == 1);
    CHECK(f.router.stats().streams == 2); // "a" waits while a viewer has tracks of it
    CHECK(f.router.mids(f.viewer, "a") == std::vector<std::string>{"0", "1"});
    // Its sections are renegotiated away; "a" is then gone from the router.
    auto n = f.router.renegotiate(f.viewer, "",
                                  offer({{"audio", "0", "recvonly", 0},
                                         {"video", "1", "recvonly", 0},
                                         {"audio", "2"},
                                         {"video", "3"}}),
                                  f.now);
    REQUIRE(n.status == 200);
    CHECK(f.router.mids(f.viewer, "a").empty());
    CHECK(f.router.stats().streams == 1);
}

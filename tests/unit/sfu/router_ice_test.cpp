// ICE restart of a session (RFC 9725 §4.3.2, RFC 8445 §9) in sfu::Router.
#include "sdp/parse.hpp"
#include "sfu/router.hpp"
#include "stun/attributes.hpp"
#include "stun/builder.hpp"
#include "tls/credentials.hpp"

#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <string>

using namespace rtc;

namespace {

constexpr const char* kOffer =
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=sendonly\r\na=mid:0\r\n"
    "a=rtcp-mux\r\na=rtpmap:96 opus/48000/2\r\n"
    "a=ice-ufrag:peer\r\na=ice-pwd:peerpasswordpeerpassword\r\n"
    "a=fingerprint:sha-256 01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14:15:16:17:"
    "18:19:1A:1B:1C:1D:1E:1F:20\r\na=setup:actpass\r\n";

struct CountingSink final : sfu::DatagramSink {
    int sent = 0;
    void send(std::span<const uint8_t>, const util::Endpoint&) override { ++sent; }
};

// A connectivity check (RFC 8445 §7.2.2) with these local credentials of the SFU.
void check(sfu::Router& router, const std::string& ufrag, const std::string& pwd,
           sfu::Router::TimePoint now, sfu::DatagramSink& sink) {
    std::array<uint8_t, 512> buffer{};
    stun::TransactionId id{};
    id[0] = 9;
    stun::MessageBuilder b(buffer, stun::Method::Binding, stun::MessageClass::Request, id);
    b.add(stun::Username{ufrag + ":peer"});
    b.add(stun::Priority{1});
    b.add(stun::UseCandidate{});
    b.add(stun::IceControlling{7});
    b.add_message_integrity({reinterpret_cast<const uint8_t*>(pwd.data()), pwd.size()});
    b.add_fingerprint();
    REQUIRE(b.ok());
    router.on_datagram(b.bytes(), {util::IpAddress::parse("192.0.2.1").value(), 5000}, now, sink);
}

std::string attribute(const std::string& text, const std::string& name) {
    const auto at = text.find("a=" + name + ":");
    REQUIRE(at != std::string::npos);
    const auto from = at + name.size() + 3;
    return text.substr(from, text.find('\r', from) - from);
}

} // namespace

TEST_CASE("sfu router: an ICE restart replaces our credentials and the ETag") {
    sfu::RouterConfig config;
    config.certificate = tls::Credentials::self_signed(
        std::chrono::system_clock::time_point(std::chrono::hours(24 * 20000)));
    config.candidates = {{util::IpAddress::parse("127.0.0.1").value(), 7882}};
    const auto now = std::chrono::steady_clock::time_point(std::chrono::seconds(1000));
    sfu::Router router(config, now);
    CountingSink sink;

    auto published = router.publish("s", kOffer, now);
    REQUIRE(published.status == 201);
    const auto ice = sdp::effective_ice(*sdp::parse(published.answer).description, 0);
    CHECK(router.etag(published.resource) == published.etag);
    check(router, ice.ufrag, ice.pwd, now, sink);
    CHECK(router.stats().checks == 1);

    auto restarted = router.restart_ice(
        published.resource, "a=ice-ufrag:peer2\r\na=ice-pwd:anotherpasswordanotherpw\r\n");
    REQUIRE(restarted.status == 200);
    CHECK(restarted.etag != published.etag);
    CHECK(router.etag(published.resource) == restarted.etag);
    CHECK(restarted.answer.find("a=ice-lite\r\n") != std::string::npos);
    const auto ufrag = attribute(restarted.answer, "ice-ufrag");
    const auto pwd = attribute(restarted.answer, "ice-pwd");
    CHECK(ufrag != ice.ufrag);
    CHECK(pwd != ice.pwd);
    CHECK(pwd.size() >= 22);

    // Old credentials find no session any more; the new ones are answered.
    const auto before = router.stats();
    check(router, ice.ufrag, ice.pwd, now, sink);
    CHECK(router.stats().drops_unknown == before.drops_unknown + 1);
    CHECK(router.stats().checks == 1);
    check(router, ufrag, pwd, now, sink);
    CHECK(router.stats().checks == 2);
    CHECK(sink.sent == 2);

    SUBCASE("refusals") {
        CHECK(router.restart_ice("nope", "a=ice-ufrag:peer2\r\na=ice-pwd:x\r\n").status == 404);
        CHECK(router.restart_ice(published.resource, "a=ice-ufrag:peer2\r\n").status == 400);
        CHECK(router
                  .restart_ice(published.resource,
                               "a=ice-ufrag:p\r\na=ice-pwd:anotherpasswordanotherpw\r\n")
                  .status == 400); // ufrag too short (RFC 8839 §5.4)
        CHECK(router
                  .restart_ice(published.resource,
                               "a=ice-ufrag:pe er\r\na=ice-pwd:anotherpasswordanotherpw\r\n")
                  .status == 400);
        CHECK(router.etag(published.resource) == restarted.etag); // unchanged by a refusal
        CHECK(router.etag("nope").empty());
    }
}

// libFuzzer target for rtc-sfu's front door (sfu::Router::on_datagram): a publisher and a
// subscriber are negotiated and their addresses bound by valid ICE checks, then the input,
// split into datagrams (2-byte length prefixes), arrives from those addresses and from a
// stranger, with the clock moving and timers firing; some inputs are subsequent offers or ICE
// restarts of the subscriber instead. Invariant: no crash, no leak, and every datagram the
// router sends goes to a bound address.
#include "sdp/parse.hpp"
#include "sfu/router.hpp"
#include "stun/attributes.hpp"
#include "stun/builder.hpp"
#include "tls/credentials.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

using namespace rtc;

namespace {

// An offer in the style of aiortc 1.4: audio and video in one BUNDLE (the fingerprint's value
// does not matter: no handshake completes).
constexpr const char* kOffer =
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=%DIR%\r\na=mid:0\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=rtcp-mux\r\n"
    "a=ssrc:1111 cname:x\r\na=rtpmap:96 opus/48000/2\r\n"
    "a=ice-ufrag:peer\r\na=ice-pwd:peerpasswordpeerpassword\r\n"
    "a=fingerprint:sha-256 01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14:15:16:17:"
    "18:19:1A:1B:1C:1D:1E:1F:20\r\na=setup:actpass\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 97\r\nc=IN IP4 0.0.0.0\r\na=%DIR%\r\na=mid:1\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=rtcp-mux\r\n"
    "a=ssrc:2222 cname:x\r\na=rtpmap:97 VP8/90000\r\na=rtcp-fb:97 nack\r\n"
    "a=rtcp-fb:97 nack pli\r\na=ice-ufrag:peer\r\na=ice-pwd:peerpasswordpeerpassword\r\n"
    "a=fingerprint:sha-256 01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14:15:16:17:"
    "18:19:1A:1B:1C:1D:1E:1F:20\r\na=setup:actpass\r\n";

std::string offer(const char* direction) {
    std::string s = kOffer;
    for (auto at = s.find("%DIR%"); at != std::string::npos; at = s.find("%DIR%"))
        s.replace(at, 5, direction);
    return s;
}

struct CheckedSink final : sfu::DatagramSink {
    std::array<util::Endpoint, 2> allowed;
    void send(std::span<const uint8_t> datagram, const util::Endpoint& to) override {
        if (datagram.empty() || (to != allowed[0] && to != allowed[1]))
            std::abort();
    }
};

// A valid connectivity check (RFC 8445 §7.2.2) for the session the answer describes.
void bind_address(sfu::Router& router, const std::string& answer, const util::Endpoint& from,
                  sfu::Router::TimePoint now, sfu::DatagramSink& sink) {
    auto parsed = sdp::parse(answer);
    if (!parsed)
        std::abort();
    const auto ice = sdp::effective_ice(*parsed.description, 0);
    std::array<uint8_t, 512> buffer{};
    stun::TransactionId id{};
    id[0] = 1;
    stun::MessageBuilder b(buffer, stun::Method::Binding, stun::MessageClass::Request, id);
    b.add(stun::Username{ice.ufrag + ":peer"});
    b.add(stun::Priority{1});
    b.add(stun::UseCandidate{});
    b.add(stun::IceControlling{7});
    b.add_message_integrity(
        {reinterpret_cast<const uint8_t*>(ice.pwd.data()), ice.pwd.size()});
    b.add_fingerprint();
    router.on_datagram(b.bytes(), from, now, sink);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    static const auto credentials = tls::Credentials::self_signed(
        std::chrono::system_clock::time_point(std::chrono::hours(24 * 20000)));
    const util::Endpoint publisher_at{util::IpAddress::parse("192.0.2.1").value(), 5000};
    const util::Endpoint subscriber_at{util::IpAddress::parse("192.0.2.2").value(), 6000};
    const util::Endpoint stranger{util::IpAddress::parse("192.0.2.3").value(), 7000};

    sfu::RouterConfig config;
    config.certificate = credentials;
    config.candidates = {{util::IpAddress::parse("127.0.0.1").value(), 7882}};
    auto now = std::chrono::steady_clock::time_point(std::chrono::seconds(1000));
    sfu::Router router(config, now);
    CheckedSink sink;
    sink.allowed = {publisher_at, subscriber_at};

    auto published = router.publish("s", offer("sendonly"), now);
    auto subscribed = router.subscribe("s", offer("recvonly"), now);
    if (published.status != 201 || subscribed.status != 201)
        std::abort();
    bind_address(router, published.answer, publisher_at, now, sink);
    bind_address(router, subscribed.answer, subscriber_at, now, sink);

    std::span<const uint8_t> input(data, size);
    for (int i = 0; i < 64 && input.size() >= 3; ++i) {
        const uint8_t control = input[0];
        const std::size_t length = std::min<std::size_t>(input[1] | (input[2] << 3),
                                                         input.size() - 3);
        const auto datagram = input.subspan(3, length);
        input = input.subspan(3 + length);
        const auto& from = control % 3 == 0   ? publisher_at
                           : control % 3 == 1 ? subscriber_at
                                              : stranger;
        now += std::chrono::milliseconds(control >> 2);
        if ((control & 0x7c) == 0x7c) {
            // The control plane between datagrams: a subsequent offer (the subscriber's own
            // offer with the input appended, or the input alone) or an ICE restart.
            const std::string text(datagram.begin(), datagram.end());
            if (control % 3 == 0)
                (void)router.renegotiate(subscribed.resource, "s", offer("recvonly") + text, now);
            else if (control % 3 == 1)
                (void)router.renegotiate(subscribed.resource, "s", text, now);
            else
                (void)router.restart_ice(subscribed.resource, text);
            continue;
        }
        router.on_datagram(datagram, from, now, sink);
        if (control & 0x80)
            router.on_timer(now, sink);
    }
    router.on_timer(now + std::chrono::seconds(40), sink); // consent expiry removes both
    (void)router.take_removed();
    return 0;
}

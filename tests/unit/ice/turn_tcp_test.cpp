// TURN over TCP for the ICE agent: stream framing of STUN and ChannelData (RFC 8656 §12.5,
// RFC 8489 §6.2.2) and an agent whose TURN transmits use the stream socket.
#include "ice/agent.hpp"
#include "ice/stream_framer.hpp"
#include "stun/address_attributes.hpp"
#include "stun/builder.hpp"
#include "stun/turn_attributes.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>

using namespace rtc;

namespace {

util::Endpoint ep(const char* text) {
    auto e = util::Endpoint::parse(text);
    REQUIRE(e);
    return *e;
}

std::vector<uint8_t> binding_request(uint8_t tag) {
    std::array<uint8_t, 64> buffer{};
    stun::TransactionId id{};
    id.fill(tag);
    stun::MessageBuilder b(buffer, stun::Method::Binding, stun::MessageClass::Request, id);
    b.add_fingerprint();
    REQUIRE(b.ok());
    return {b.bytes().begin(), b.bytes().end()};
}

void push(ice::StreamFramer& f, std::span<const uint8_t> bytes) {
    auto area = f.write_area();
    REQUIRE(area.size() >= bytes.size());
    std::copy(bytes.begin(), bytes.end(), area.begin());
    f.commit(bytes.size());
}

} // namespace

TEST_CASE("stream framer splits STUN messages read in arbitrary pieces") {
    const auto m1 = binding_request(1);
    const auto m2 = binding_request(2);
    std::vector<uint8_t> stream(m1);
    stream.insert(stream.end(), m2.begin(), m2.end());
    ice::StreamFramer f;
    // The first message less one byte: nothing yet.
    push(f, std::span(stream).first(m1.size() - 1));
    CHECK_FALSE(f.next());
    // The rest of the first and half of the second.
    push(f, std::span(stream).subspan(m1.size() - 1, 1 + m2.size() / 2));
    auto first = f.next();
    REQUIRE(first);
    CHECK(std::equal(first->begin(), first->end(), m1.begin(), m1.end()));
    CHECK_FALSE(f.next());
    push(f, std::span(stream).subspan(m1.size() + m2.size() / 2));
    auto second = f.next();
    REQUIRE(second);
    CHECK(std::equal(second->begin(), second->end(), m2.begin(), m2.end()));
    CHECK_FALSE(f.next());
    CHECK_FALSE(f.error());
}

TEST_CASE("stream framer: ChannelData is padded to 4 bytes on a stream (RFC 8656 12.5)") {
    std::vector<uint8_t> data{0x40, 0x01, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o'};
    CHECK(ice::StreamFramer::pad_for_stream(data) == 12);
    CHECK(data.size() == 12);
    CHECK(data[9] == 0);
    auto stun = binding_request(3);
    const auto stun_size = stun.size();
    CHECK(ice::StreamFramer::pad_for_stream(stun) == stun_size); // STUN is left alone
    std::vector<uint8_t> stream(data);
    stream.insert(stream.end(), stun.begin(), stun.end());
    ice::StreamFramer f;
    push(f, stream);
    auto channel = f.next();
    REQUIRE(channel);
    CHECK(channel->size() == 9); // without the padding
    CHECK((*channel)[8] == 'o');
    auto message = f.next();
    REQUIRE(message);
    CHECK(message->size() == stun_size);
    CHECK(stun::MessageView::parse(*message));
}

TEST_CASE("stream framer flags bytes that are neither STUN nor ChannelData") {
    ice::StreamFramer f;
    const std::array<uint8_t, 8> junk{0x80, 0, 0, 4, 1, 2, 3, 4};
    push(f, junk);
    CHECK_FALSE(f.next());
    CHECK(f.error());
    CHECK(f.write_area().empty());
}

TEST_CASE("ice agent allocates over the TURN stream and checks through it") {
    auto now = ice::Clock::now();
    ice::AgentConfig c;
    c.controlling = true;
    c.tie_breaker = 1;
    c.ufrag = "aaaa";
    c.pwd = "aaaapppppppppppppppppppppp";
    c.turn_server = ice::TurnServerConfig{ep("192.0.2.20:3478"), "u", "p", true};
    c.gather_timeout = std::chrono::milliseconds(1000);
    ice::Agent a(c, {ep("10.0.0.1:5000")}, now);
    auto out = a.take_transmits();
    REQUIRE(out.size() == 1);
    CHECK(out[0].socket == ice::kTurnStreamSocket);
    CHECK(out[0].to == c.turn_server->server);
    auto request = stun::MessageView::parse(out[0].bytes);
    REQUIRE(request);
    CHECK(request->method() == stun::Method::Allocate);
    // Over TCP the request is not retransmitted (RFC 8489 §6.2.2).
    a.on_timer(now + std::chrono::milliseconds(600));
    CHECK(a.take_transmits().empty());
    // The server answers on the stream with a relayed address.
    std::array<uint8_t, 128> buffer{};
    stun::MessageBuilder b(buffer, stun::Method::Allocate, stun::MessageClass::SuccessResponse,
                           request->transaction_id());
    b.add(stun::XorRelayedAddress{ep("192.0.2.20:50000")});
    b.add(stun::XorMappedAddress{ep("203.0.113.5:40000")});
    REQUIRE(b.ok());
    a.on_datagram(ice::kTurnStreamSocket, c.turn_server->server, b.bytes(), now);
    REQUIRE(a.state() == ice::AgentState::Gathered);
    const auto& locals = a.local_candidates();
    REQUIRE(locals.size() == 2);
    CHECK(locals[1].type == ice::CandidateType::Relayed);
    CHECK(locals[1].address.to_string() == "192.0.2.20:50000");
    // With a peer, the relayed candidate's traffic (a permission, then checks in Send
    // indications) goes on the stream; the host candidate's goes on its UDP socket.
    ice::Description remote;
    remote.type = ice::DescriptionType::Answer;
    remote.ufrag = "bbbb";
    remote.pwd = "bbbbpppppppppppppppppppppp";
    ice::Candidate peer;
    peer.foundation = "1";
    peer.component = 1;
    peer.priority = ice::candidate_priority(ice::CandidateType::Host, 65535);
    peer.address = ep("198.51.100.7:6000");
    peer.type = ice::CandidateType::Host;
    remote.candidates.push_back(peer);
    a.set_remote(remote, now);
    bool stream_seen = false;
    bool udp_seen = false;
    for (int i = 0; i < 50; ++i) {
        for (const auto& t : a.take_transmits()) {
            if (t.socket == ice::kTurnStreamSocket) {
                CHECK(t.to == c.turn_server->server);
                auto m = stun::MessageView::parse(t.bytes);
                REQUIRE(m);
                CHECK(m->method() == stun::Method::CreatePermission); // RFC 8656 §9
                stream_seen = true;
            } else {
                CHECK(t.socket == 0);
                udp_seen = true;
            }
        }
        now += std::chrono::milliseconds(20);
        a.on_timer(now);
    }
    CHECK(stream_seen);
    CHECK(udp_seen);
}

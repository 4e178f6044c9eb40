#include "probe/turn_relay.hpp"

#include "stun/address_attributes.hpp"
#include "stun/builder.hpp"
#include "stun/turn_attributes.hpp"

#include <doctest/doctest.h>

#include <array>
#include <vector>

using namespace rtc;
using namespace rtc::probe;
using std::chrono::milliseconds;

namespace {

util::Endpoint ep(const char* text) {
    auto e = util::Endpoint::parse(text);
    REQUIRE(e.has_value());
    return *e;
}

const stun::TransactionId kId = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2};

} // namespace

TEST_CASE("ChannelData: header, data and stream padding (RFC 8656 §12.4, §12.5)") {
    const std::array<uint8_t, 5> data = {1, 2, 3, 4, 5};
    std::array<uint8_t, 32> out{};
    auto datagram = build_channel_data(out, 0x4000, data, false);
    REQUIRE(datagram.size() == 9);
    CHECK(datagram[0] == 0x40);
    CHECK(datagram[1] == 0x00);
    CHECK(datagram[3] == 5);
    auto padded = build_channel_data(out, 0x4000, data, true);
    CHECK(padded.size() == 12);
    CHECK(padded[11] == 0);

    auto read = read_relayed_data(padded);
    REQUIRE(read.has_value());
    CHECK(read->channel == 0x4000);
    CHECK_FALSE(read->peer.has_value());
    CHECK(std::vector<uint8_t>(read->data.begin(), read->data.end()) ==
          std::vector<uint8_t>(data.begin(), data.end()));

    std::array<uint8_t, 8> small{};
    CHECK(build_channel_data(small, 0x4000, data, false).empty());
    // A length beyond the bytes present is refused, not read past.
    CHECK_FALSE(read_relayed_data(datagram.first(7)).has_value());
    CHECK_FALSE(read_relayed_data(datagram.first(2)).has_value());
}

TEST_CASE("Send indication out, Data indication in (RFC 8656 §11)") {
    const std::array<uint8_t, 3> data = {7, 7, 7};
    std::array<uint8_t, 128> out{};
    auto send = build_send_indication(out, kId, ep("192.0.2.5:4000"), data);
    REQUIRE_FALSE(send.empty());
    auto m = stun::MessageView::parse(send);
    REQUIRE(m.has_value());
    CHECK(m->method() == stun::Method::Send);
    CHECK(m->message_class() == stun::MessageClass::Indication);
    CHECK(m->get<stun::XorPeerAddress>()->endpoint == ep("192.0.2.5:4000"));
    CHECK_FALSE(read_relayed_data(send).has_value()); // a Send is not data for the client

    std::array<uint8_t, 128> in{};
    stun::MessageBuilder b(in, stun::Method::Data, stun::MessageClass::Indication, kId);
    b.add(stun::XorPeerAddress{ep("192.0.2.6:4001")});
    b.add(stun::Data{std::span<const uint8_t>(data)});
    REQUIRE(b.ok());
    auto read = read_relayed_data(b.bytes());
    REQUIRE(read.has_value());
    REQUIRE(read->peer.has_value());
    CHECK(*read->peer == ep("192.0.2.6:4001"));
    CHECK(read->data.size() == 3);

    std::array<uint8_t, 64> no_data{};
    stun::MessageBuilder nd(no_data, stun::Method::Data, stun::MessageClass::Indication, kId);
    nd.add(stun::XorPeerAddress{ep("192.0.2.6:4001")});
    CHECK_FALSE(read_relayed_data(nd.bytes()).has_value()); // DATA is required
}

TEST_CASE("RelayPing: round trips, duplicates, foreign data, loss and the median") {
    RelayPing ping(4, 20);
    CHECK(ping.size() == 20);
    const auto t0 = TimePoint{} + std::chrono::seconds(5);
    std::array<std::array<uint8_t, kMaxPingSize>, 4> buffers{};
    std::array<std::vector<uint8_t>, 4> sent;
    for (uint32_t i = 0; i < 4; ++i) {
        auto p = ping.make(i, buffers[i], t0 + milliseconds(10 * i));
        sent[i].assign(p.begin(), p.end());
    }
    CHECK(ping.sent() == 4);
    CHECK(ping.on_echo(sent[0], t0 + milliseconds(4)));
    CHECK_FALSE(ping.on_echo(sent[0], t0 + milliseconds(5))); // duplicate
    CHECK(ping.on_echo(sent[1], t0 + milliseconds(10 + 2)));
    CHECK(ping.on_echo(sent[2], t0 + milliseconds(20 + 9)));
    auto foreign = sent[3];
    foreign[0] ^= 0xFF;
    CHECK_FALSE(ping.on_echo(foreign, t0 + milliseconds(40)));
    CHECK_FALSE(ping.on_echo(std::span<const uint8_t>(sent[3]).first(10), t0));
    CHECK(ping.received() == 3);
    CHECK_FALSE(ping.complete());
    CHECK(ping.loss_percent() == doctest::Approx(25.0));
    auto rtt = ping.rtt();
    REQUIRE(rtt.has_value());
    CHECK(rtt->min == milliseconds(2));
    CHECK(rtt->median == milliseconds(4));
    CHECK(rtt->max == milliseconds(9));
    CHECK(ping.on_echo(sent[3], t0 + milliseconds(30 + 6)));
    CHECK(ping.complete());
    CHECK(ping.rtt()->median == milliseconds(5)); // even count: mean of the middle two
}

TEST_CASE("RelayPing: nothing back means no RTT and full loss") {
    RelayPing ping(2, 1);
    CHECK(ping.size() == kMinPingSize);
    std::array<uint8_t, kMaxPingSize> buf{};
    ping.make(0, buf, TimePoint{});
    CHECK_FALSE(ping.rtt().has_value());
    CHECK(ping.loss_percent() == doctest::Approx(100.0));
    CHECK(ping.make(2, buf, TimePoint{}).empty()); // beyond the count
}

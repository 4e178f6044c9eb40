#include "probe/binding.hpp"

#include "stun/attributes.hpp"
#include "stun/binding_server.hpp"
#include "stun/builder.hpp"

#include <doctest/doctest.h>

#include <array>
#include <vector>

using namespace rtc;
using namespace rtc::probe;
using std::chrono::milliseconds;

namespace {

const stun::TransactionId kId = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

util::Endpoint ep(const char* text) {
    auto e = util::Endpoint::parse(text);
    REQUIRE(e.has_value());
    return *e;
}

// The answer of rtc-stun's core (RFC 5780 mode) to `request` from `source`.
std::vector<uint8_t> serve(std::span<const uint8_t> request, const char* source) {
    stun::BindingServerConfig c;
    c.software = "test server";
    c.rfc5780 = std::array<util::Endpoint, 4>{ep("192.0.2.1:3478"), ep("192.0.2.1:3479"),
                                              ep("192.0.2.2:3478"), ep("192.0.2.2:3479")};
    stun::BindingServer server(c);
    stun::BindingRequest r;
    r.bytes = request;
    r.source = ep(source);
    r.local = c.rfc5780->front();
    std::vector<uint8_t> out(1500);
    auto o = server.handle(r, out);
    out.resize(o.size);
    return out;
}

} // namespace

TEST_CASE("binding request: RFC 5780 attributes, SOFTWARE and FINGERPRINT") {
    std::array<uint8_t, kMaxRequestSize> buf{};
    BindingRequestSpec spec;
    spec.id = kId;
    spec.change_ip = true;
    spec.change_port = true;
    spec.response_port = 40000;
    spec.software = "rtc-probe 0.1.0";
    auto bytes = build_binding_request(buf, spec);
    REQUIRE_FALSE(bytes.empty());
    auto m = stun::MessageView::parse(bytes);
    REQUIRE(m.has_value());
    CHECK(m->is_request());
    CHECK(m->method() == stun::Method::Binding);
    CHECK(m->transaction_id() == kId);
    CHECK(m->has_fingerprint());
    auto change = m->get<stun::ChangeRequest>();
    REQUIRE(change.has_value());
    CHECK(change->change_ip);
    CHECK(change->change_port);
    CHECK(m->get<stun::ResponsePort>()->port == 40000);
    CHECK(m->get<stun::Software>()->value == "rtc-probe 0.1.0");

    // Too small a buffer, or a SOFTWARE over 127 characters: nothing.
    std::array<uint8_t, 24> small{};
    CHECK(build_binding_request(small, spec).empty());
    std::string long_software(200, 'x');
    spec.software = long_software;
    CHECK(build_binding_request(buf, spec).empty());
}

TEST_CASE("binding answer: read from rtc-stun's core, with room for every RFC 5780 attribute") {
    std::array<uint8_t, kMaxRequestSize> buf{};
    BindingRequestSpec spec;
    spec.id = kId;
    spec.software = "rtc-probe 0.1.0";
    auto response = serve(build_binding_request(buf, spec), "198.51.100.7:40000");
    auto m = stun::MessageView::parse(response);
    REQUIRE(m.has_value());
    auto a = read_binding_answer(*m);
    REQUIRE(a.has_value());
    CHECK(a->success);
    CHECK(a->mapped == ep("198.51.100.7:40000"));
    CHECK(a->other_address == ep("192.0.2.2:3479"));
    CHECK(a->response_origin == ep("192.0.2.1:3478"));
    CHECK(a->software == "test server"); // the request's own SOFTWARE made room for it

    // CHANGE-REQUEST to a server without RFC 5780 addresses: 420, read as an error answer.
    stun::BindingServer plain(stun::BindingServerConfig{});
    spec.change_ip = true;
    auto request = build_binding_request(buf, spec);
    stun::BindingRequest r;
    r.bytes = request;
    r.source = ep("198.51.100.7:40000");
    r.local = ep("192.0.2.1:3478");
    std::vector<uint8_t> out(1500);
    out.resize(plain.handle(r, out).size);
    auto error = read_binding_answer(*stun::MessageView::parse(out));
    REQUIRE(error.has_value());
    CHECK_FALSE(error->success);
    CHECK(error->error_code == 420);
}

TEST_CASE("binding answer: what is not a usable answer") {
    std::array<uint8_t, 256> buf{};
    auto read = [&](auto fill, stun::MessageClass cls,
                    stun::Method method = stun::Method::Binding) {
        stun::MessageBuilder b(buf, method, cls, kId);
        fill(b);
        REQUIRE(b.ok());
        auto m = stun::MessageView::parse(b.bytes());
        REQUIRE(m.has_value());
        return read_binding_answer(*m);
    };
    const auto mapped = [](stun::MessageBuilder& b) {
        b.add(stun::XorMappedAddress{ep("198.51.100.7:40000")});
    };
    CHECK(read(mapped, stun::MessageClass::SuccessResponse).has_value());
    CHECK_FALSE(read(mapped, stun::MessageClass::Request).has_value());
    CHECK_FALSE(read(mapped, stun::MessageClass::Indication).has_value());
    CHECK_FALSE(
        read(mapped, stun::MessageClass::SuccessResponse, stun::Method::Allocate).has_value());
    // A success without a mapped address.
    CHECK_FALSE(
        read([](stun::MessageBuilder&) {}, stun::MessageClass::SuccessResponse).has_value());
    // RFC 8489 §7.3.3: an unknown comprehension-required attribute fails the transaction.
    CHECK_FALSE(read(
                    [&](stun::MessageBuilder& b) {
                        mapped(b);
                        const uint8_t value[4] = {};
                        b.add_raw(0x7FFE, value);
                    },
                    stun::MessageClass::SuccessResponse)
                    .has_value());
    // MAPPED-ADDRESS alone (RFC 3489 servers) is accepted.
    auto old = read([](stun::MessageBuilder& b) { b.add(stun::MappedAddress{ep("192.0.2.9:9")}); },
                    stun::MessageClass::SuccessResponse);
    REQUIRE(old.has_value());
    CHECK(old->mapped == ep("192.0.2.9:9"));
}

TEST_CASE("binding client: retransmits, matches the transaction id, measures the RTT") {
    const TimePoint start{std::chrono::hours(1)};
    BindingClient client(kId, policy_for_timeout(milliseconds(3000), false), "rtc-probe", start);
    auto first = client.poll(start);
    REQUIRE_FALSE(first.empty());
    const std::vector<uint8_t> request(first.begin(), first.end());
    CHECK(client.poll(start).empty());
    REQUIRE(client.next_deadline() == start + milliseconds(500));
    CHECK_FALSE(client.poll(start + milliseconds(500)).empty()); // first retransmission

    // An answer with another transaction id is not ours.
    auto response = serve(request, "198.51.100.7:40000");
    auto other = response;
    other[8] ^= 0xff;
    CHECK_FALSE(client.on_message(other, start + milliseconds(510)));
    CHECK_FALSE(client.on_message(std::vector<uint8_t>{1, 2, 3}, start + milliseconds(510)));
    CHECK(client.on_message(response, start + milliseconds(520)));
    CHECK(client.answered());
    CHECK(client.finished(start + milliseconds(520)));
    CHECK(client.retransmissions() == 1);
    CHECK(client.rtt() == milliseconds(20));
    CHECK(client.answer()->mapped == ep("198.51.100.7:40000"));
    CHECK_FALSE(client.next_deadline().has_value());
    CHECK(client.poll(start + milliseconds(1500)).empty());
}

TEST_CASE("binding client: gives up at the bound") {
    const TimePoint start{std::chrono::hours(1)};
    BindingClient client(kId, policy_for_timeout(milliseconds(1000), false), "", start);
    int sent = 0;
    TimePoint now = start;
    for (int i = 0; i < 50 && !client.finished(now); ++i) {
        if (!client.poll(now).empty())
            ++sent;
        now = *client.next_deadline();
    }
    CHECK(client.timed_out(now));
    CHECK(now == start + milliseconds(1000));
    CHECK(sent == 3); // 0, 250, 750 ms
}

// ICE-lite check answering (RFC 8445 §2.5, §7.3) as rtc-sfu uses it.
#include "ice/lite.hpp"
#include "stun/attributes.hpp"
#include "stun/builder.hpp"

#include <doctest/doctest.h>

#include <array>
#include <string>

using namespace rtc;

namespace {

std::span<const uint8_t> bytes_of(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

struct Check {
    std::string username = "sfuA:peerB";
    std::string pwd = "0123456789abcdefghijkl";
    bool priority = true;
    bool use_candidate = true;
    bool controlled = false; // the peer claims ICE-CONTROLLED instead of ICE-CONTROLLING
};

std::size_t build_check(const Check& c, std::span<uint8_t> out) {
    stun::TransactionId id{};
    for (std::size_t i = 0; i < id.size(); ++i)
        id[i] = static_cast<uint8_t>(i + 1);
    stun::MessageBuilder b(out, stun::Method::Binding, stun::MessageClass::Request, id);
    b.add(stun::Username{c.username});
    if (c.priority)
        b.add(stun::Priority{0x6e0001ff});
    if (c.use_candidate)
        b.add(stun::UseCandidate{});
    if (c.controlled)
        b.add(stun::IceControlled{42});
    else
        b.add(stun::IceControlling{42});
    b.add_message_integrity(bytes_of(c.pwd));
    b.add_fingerprint();
    REQUIRE(b.ok());
    return b.size();
}

const util::Endpoint kFrom{util::IpAddress::parse("192.0.2.7").value(), 50123};

} // namespace

TEST_CASE("ice lite: a valid check is answered with its mapped address and our integrity") {
    std::array<uint8_t, 512> request{};
    const auto n = build_check({}, request);
    auto m = stun::MessageView::parse(std::span(request).first(n));
    REQUIRE(m);
    auto names = ice::check_username(*m);
    REQUIRE(names);
    CHECK(names->local == "sfuA");
    CHECK(names->remote == "peerB");

    std::array<uint8_t, 512> out{};
    auto r = ice::answer_check(*m, kFrom, "0123456789abcdefghijkl", out);
    CHECK(r.outcome == ice::CheckOutcome::Valid);
    CHECK(r.use_candidate);
    CHECK(r.priority == 0x6e0001ff);
    REQUIRE(r.size > 0);
    auto response = stun::MessageView::parse(std::span(out).first(r.size));
    REQUIRE(response);
    CHECK(response->message_class() == stun::MessageClass::SuccessResponse);
    CHECK(response->transaction_id() == m->transaction_id());
    CHECK(response->verify_message_integrity(bytes_of("0123456789abcdefghijkl")));
    CHECK(response->has_fingerprint());
    auto mapped = response->get<stun::XorMappedAddress>();
    REQUIRE(mapped);
    CHECK(mapped->endpoint == kFrom);
}

TEST_CASE("ice lite: wrong password, missing PRIORITY and odd usernames are dropped") {
    std::array<uint8_t, 512> request{};
    std::array<uint8_t, 512> out{};
    {
        const auto n = build_check({}, request);
        auto m = stun::MessageView::parse(std::span(request).first(n));
        auto r = ice::answer_check(*m, kFrom, "another-password-xxxxxx", out);
        CHECK(r.outcome == ice::CheckOutcome::BadIntegrity);
        CHECK(r.size == 0);
    }
    {
        Check c;
        c.priority = false;
        const auto n = build_check(c, request);
        auto m = stun::MessageView::parse(std::span(request).first(n));
        auto r = ice::answer_check(*m, kFrom, c.pwd, out);
        CHECK(r.outcome == ice::CheckOutcome::BadRequest);
        CHECK(r.size == 0);
    }
    for (const char* name : {"nocolon", ":peer", "sfu:"}) {
        Check c;
        c.username = name;
        const auto n = build_check(c, request);
        auto m = stun::MessageView::parse(std::span(request).first(n));
        CHECK_FALSE(ice::check_username(*m));
        CHECK(ice::answer_check(*m, kFrom, c.pwd, out).size == 0);
    }
}

TEST_CASE("ice lite: a peer that is controlled too gets 487 Role Conflict") {
    Check c;
    c.controlled = true;
    std::array<uint8_t, 512> request{};
    const auto n = build_check(c, request);
    auto m = stun::MessageView::parse(std::span(request).first(n));
    std::array<uint8_t, 512> out{};
    auto r = ice::answer_check(*m, kFrom, c.pwd, out);
    CHECK(r.outcome == ice::CheckOutcome::RoleConflict);
    CHECK_FALSE(r.use_candidate);
    auto response = stun::MessageView::parse(std::span(out).first(r.size));
    REQUIRE(response);
    CHECK(response->message_class() == stun::MessageClass::ErrorResponse);
    auto error = response->get<stun::ErrorCode>();
    REQUIRE(error);
    CHECK(error->code == stun::error_code::kRoleConflict);
}

TEST_CASE("ice lite: a response that does not fit is not sent") {
    std::array<uint8_t, 512> request{};
    const auto n = build_check({}, request);
    auto m = stun::MessageView::parse(std::span(request).first(n));
    std::array<uint8_t, 40> small{};
    auto r = ice::answer_check(*m, kFrom, "0123456789abcdefghijkl", small);
    CHECK(r.outcome == ice::CheckOutcome::NoRoom);
    CHECK(r.size == 0);
}

#include "probe/turn_client.hpp"

#include "stun/address_attributes.hpp"
#include "stun/builder.hpp"
#include "stun/credentials.hpp"
#include "stun/rfc8489_attributes.hpp"
#include "stun/turn_attributes.hpp"

#include <doctest/doctest.h>

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

struct Ids {
    uint8_t next = 1;
    stun::TransactionId operator()() {
        stun::TransactionId id{};
        id.fill(next++);
        return id;
    }
};

TurnClient make_client(std::string expected_realm = {}) {
    return TurnClient({"user", "pass", std::move(expected_realm)},
                      policy_for_timeout(milliseconds(3000), false), "probe test", Ids{});
}

std::vector<uint8_t> copy(std::span<const uint8_t> s) {
    return {s.begin(), s.end()};
}

// An error response to `request` with optional REALM and NONCE (and PASSWORD-ALGORITHMS).
std::vector<uint8_t> error_response(std::span<const uint8_t> request, uint16_t code,
                                    std::string_view realm = {}, std::string_view nonce = {},
                                    bool algorithms = false) {
    auto m = stun::MessageView::parse(request);
    REQUIRE(m.has_value());
    std::vector<uint8_t> out(512);
    stun::MessageBuilder b(out, m->method(), stun::MessageClass::ErrorResponse,
                           m->transaction_id());
    b.add(stun::ErrorCode{code, stun::default_reason(code)});
    if (!realm.empty())
        b.add(stun::Realm{realm});
    if (!nonce.empty())
        b.add(stun::Nonce{nonce});
    if (algorithms) {
        stun::PasswordAlgorithms list;
        list.add({stun::kPasswordAlgorithmMd5, {}});
        list.add({stun::kPasswordAlgorithmSha256, {}});
        b.add(list);
    }
    b.add_fingerprint();
    REQUIRE(b.ok());
    return copy(b.bytes());
}

std::vector<uint8_t> allocate_success(std::span<const uint8_t> request,
                                      std::span<const uint8_t> key) {
    auto m = stun::MessageView::parse(request);
    REQUIRE(m.has_value());
    std::vector<uint8_t> out(512);
    stun::MessageBuilder b(out, stun::Method::Allocate, stun::MessageClass::SuccessResponse,
                           m->transaction_id());
    b.add(stun::XorRelayedAddress{ep("192.0.2.9:50000")});
    b.add(stun::Lifetime{600});
    b.add(stun::XorMappedAddress{ep("198.51.100.1:40000")});
    b.add_message_integrity(key);
    b.add_fingerprint();
    REQUIRE(b.ok());
    return copy(b.bytes());
}

crypto::Md5Digest key_for(std::string_view realm) {
    auto k = stun::long_term_key_md5("user", realm, "pass");
    REQUIRE(k.has_value());
    return *k;
}

} // namespace

TEST_CASE("TurnClient: 401 challenge, then an authenticated Allocate (RFC 8489 §9.2)") {
    auto client = make_client("example.org");
    const auto t0 = TimePoint{} + std::chrono::seconds(100);
    client.start({TurnRequestKind::Allocate}, t0);
    auto first = copy(client.poll(t0));
    REQUIRE_FALSE(first.empty());
    auto m1 = stun::MessageView::parse(first);
    REQUIRE(m1.has_value());
    CHECK(m1->method() == stun::Method::Allocate);
    CHECK_FALSE(m1->has_message_integrity()); // RFC 8656 §7.1: the first one goes without
    CHECK(m1->get<stun::RequestedTransport>()->protocol == stun::RequestedTransport::kUdp);

    CHECK(client.on_message(error_response(first, 401, "example.org", "nonce-1"), t0));
    CHECK_FALSE(client.finished(t0));
    CHECK(client.authenticated());
    auto second = copy(client.poll(t0));
    REQUIRE_FALSE(second.empty());
    auto m2 = stun::MessageView::parse(second);
    REQUIRE(m2.has_value());
    CHECK(m2->transaction_id() != m1->transaction_id()); // a new transaction
    CHECK(m2->get<stun::Username>()->value == "user");
    CHECK(m2->get<stun::Realm>()->value == "example.org");
    CHECK(m2->get<stun::Nonce>()->value == "nonce-1");
    CHECK_FALSE(m2->has(stun::attr::kPasswordAlgorithm)); // no nonce cookie, no algorithms
    const auto key = key_for("example.org");
    CHECK(m2->verify_message_integrity(key));

    // An answer to the old transaction is not this one's.
    CHECK_FALSE(client.on_message(allocate_success(first, key), t0));
    CHECK(client.on_message(allocate_success(second, key), t0 + milliseconds(7)));
    CHECK(client.finished(t0));
    CHECK(client.succeeded());
    CHECK(client.relayed() == ep("192.0.2.9:50000"));
    CHECK(client.mapped() == ep("198.51.100.1:40000"));
    CHECK(client.lifetime() == 600);
    CHECK(client.rtt() == milliseconds(7));
    CHECK(client.realm() == "example.org");
}

TEST_CASE("TurnClient: a success whose integrity does not verify is ignored") {
    auto client = make_client();
    const auto t0 = TimePoint{} + std::chrono::seconds(1);
    client.start({TurnRequestKind::Allocate}, t0);
    auto first = copy(client.poll(t0));
    client.on_message(error_response(first, 401, "example.org", "n"), t0);
    auto second = copy(client.poll(t0));
    const auto wrong = key_for("another.org");
    CHECK_FALSE(client.on_message(allocate_success(second, wrong), t0));
    CHECK_FALSE(client.finished(t0));
}

TEST_CASE("TurnClient: the nonce cookie makes it repeat PASSWORD-ALGORITHMS (RFC 8489 §9.2.4)") {
    auto client = make_client();
    const auto t0 = TimePoint{} + std::chrono::seconds(1);
    client.start({TurnRequestKind::Allocate}, t0);
    auto first = copy(client.poll(t0));
    client.on_message(error_response(first, 401, "example.org", "obMatJos2gAAAxyz", true), t0);
    auto second = copy(client.poll(t0));
    auto m = stun::MessageView::parse(second);
    REQUIRE(m.has_value());
    auto chosen = m->get<stun::PasswordAlgorithm>();
    REQUIRE(chosen.has_value());
    CHECK(chosen->algorithm == stun::kPasswordAlgorithmMd5);
    auto list = m->get<stun::PasswordAlgorithms>();
    REQUIRE(list.has_value());
    CHECK(list->count == 2);
    CHECK(m->verify_message_integrity(key_for("example.org")));
}

TEST_CASE("TurnClient: another realm than expected is a realm mismatch") {
    auto client = make_client("example.org");
    const auto t0 = TimePoint{} + std::chrono::seconds(1);
    client.start({TurnRequestKind::Allocate}, t0);
    auto first = copy(client.poll(t0));
    CHECK(client.on_message(error_response(first, 401, "other.org", "n"), t0));
    CHECK(client.finished(t0));
    CHECK(client.failure() == TurnFailure::RealmMismatch);
    CHECK(client.realm() == "other.org");
    CHECK(failure_code(client.failure()) == "realm_mismatch");
    CHECK(client.poll(t0 + milliseconds(600)).empty()); // nothing more is sent
}

TEST_CASE("TurnClient: 401 after sending credentials means wrong credentials") {
    auto client = make_client();
    const auto t0 = TimePoint{} + std::chrono::seconds(1);
    client.start({TurnRequestKind::Allocate}, t0);
    auto first = copy(client.poll(t0));
    client.on_message(error_response(first, 401, "example.org", "n1"), t0);
    auto second = copy(client.poll(t0));
    CHECK(client.on_message(error_response(second, 401, "example.org", "n2"), t0));
    CHECK(client.failure() == TurnFailure::WrongCredentials);
    CHECK(client.error_code() == 401);
}

TEST_CASE("TurnClient: 438 takes the new nonce, a bounded number of times") {
    auto client = make_client();
    const auto t0 = TimePoint{} + std::chrono::seconds(1);
    client.start({TurnRequestKind::Allocate}, t0);
    auto request = copy(client.poll(t0));
    client.on_message(error_response(request, 401, "example.org", "n0"), t0);
    for (unsigned i = 1; i <= kMaxStaleNonceRetries; ++i) {
        request = copy(client.poll(t0));
        REQUIRE_FALSE(request.empty());
        const std::string nonce = "n" + std::to_string(i);
        CHECK(client.on_message(error_response(request, 438, "example.org", nonce), t0));
        CHECK_FALSE(client.finished(t0));
        auto next = copy(client.poll(t0));
        auto m = stun::MessageView::parse(next);
        REQUIRE(m.has_value());
        CHECK(m->get<stun::Nonce>()->value == nonce);
        CHECK(m->verify_message_integrity(key_for("example.org")));
        client.start({TurnRequestKind::Allocate}, t0); // the same request, sent afresh
    }
    request = copy(client.poll(t0));
    CHECK(client.on_message(error_response(request, 438, "example.org", "again"), t0));
    request = copy(client.poll(t0));
    for (unsigned i = 0; i <= kMaxStaleNonceRetries && !client.finished(t0); ++i) {
        client.on_message(error_response(request, 438, "example.org", "again"), t0);
        request = copy(client.poll(t0));
    }
    CHECK(client.finished(t0));
    CHECK(client.failure() == TurnFailure::ErrorResponse);
    CHECK(client.error_code() == 438);
}

TEST_CASE("TurnClient: error codes map to the failures the probe explains") {
    struct Case {
        uint16_t code;
        TurnFailure failure;
        const char* label;
    };
    const Case cases[] = {{403, TurnFailure::Forbidden, "forbidden"},
                          {437, TurnFailure::AllocationMismatch, "allocation_mismatch"},
                          {486, TurnFailure::AllocationQuota, "allocation_quota"},
                          {508, TurnFailure::InsufficientCapacity, "insufficient_capacity"},
                          {500, TurnFailure::ErrorResponse, "error_response"}};
    for (const auto& c : cases) {
        CAPTURE(c.code);
        auto client = make_client();
        const auto t0 = TimePoint{} + std::chrono::seconds(1);
        TurnRequestSpec spec;
        spec.kind = TurnRequestKind::CreatePermission;
        spec.peer = ep("192.0.2.7:5000");
        client.start(spec, t0);
        auto request = copy(client.poll(t0));
        auto m = stun::MessageView::parse(request);
        REQUIRE(m.has_value());
        CHECK(m->method() == stun::Method::CreatePermission);
        CHECK(m->get<stun::XorPeerAddress>()->endpoint == spec.peer);
        CHECK(client.on_message(error_response(request, c.code), t0));
        CHECK(client.failure() == c.failure);
        CHECK(client.error_code() == c.code);
        CHECK(failure_code(client.failure()) == c.label);
    }
}

TEST_CASE("TurnClient: ChannelBind and Refresh carry their attributes (RFC 8656 §8.1, §11.1)") {
    auto client = make_client();
    const auto t0 = TimePoint{} + std::chrono::seconds(1);
    TurnRequestSpec bind;
    bind.kind = TurnRequestKind::ChannelBind;
    bind.peer = ep("192.0.2.7:5000");
    bind.channel = 0x4001;
    client.start(bind, t0);
    const auto bind_bytes = copy(client.poll(t0)); // the view below points into it
    auto m = stun::MessageView::parse(bind_bytes);
    REQUIRE(m.has_value());
    CHECK(m->method() == stun::Method::ChannelBind);
    CHECK(m->get<stun::ChannelNumber>()->number == 0x4001);

    TurnRequestSpec refresh;
    refresh.kind = TurnRequestKind::Refresh;
    refresh.lifetime = 0;
    client.start(refresh, t0);
    auto bytes = copy(client.poll(t0));
    auto r = stun::MessageView::parse(bytes);
    REQUIRE(r.has_value());
    CHECK(r->method() == stun::Method::Refresh);
    CHECK(r->get<stun::Lifetime>()->seconds == 0);
}

TEST_CASE("TurnClient: no answer is a timeout after the RFC 8489 §6.2.1 schedule") {
    auto client =
        TurnClient({"user", "pass", {}}, policy_for_timeout(milliseconds(1000), false), "", Ids{});
    auto now = TimePoint{} + std::chrono::seconds(1);
    client.start({TurnRequestKind::Allocate}, now);
    unsigned sent = 0;
    for (int i = 0; i < 100 && !client.finished(now); ++i) {
        if (!client.poll(now).empty())
            ++sent;
        auto d = client.next_deadline();
        if (!d)
            break;
        now = *d;
    }
    client.poll(now);
    CHECK(client.finished(now));
    CHECK(client.failure() == TurnFailure::Timeout);
    CHECK(sent >= 2);
    CHECK(client.requests_sent() == sent);
}

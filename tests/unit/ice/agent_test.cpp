// Two ICE agents (RFC 8445) connected through an in-memory network: host pairs, nomination,
// role conflicts (487, §7.3.1.1) and failure when nothing answers.
#include "ice/agent.hpp"
#include "stun/address_attributes.hpp"
#include "stun/builder.hpp"

#include <doctest/doctest.h>

using namespace rtc;

namespace {

util::Endpoint ep(const char* text) {
    auto e = util::Endpoint::parse(text);
    REQUIRE(e);
    return *e;
}

ice::AgentConfig config(bool controlling, uint64_t tie_breaker, const char* ufrag) {
    ice::AgentConfig c;
    c.controlling = controlling;
    c.tie_breaker = tie_breaker;
    c.ufrag = ufrag;
    c.pwd = std::string(ufrag) + "pppppppppppppppppppppp";
    return c;
}

// Delivers every transmit of one agent to the other (by base address) with no delay; `drop`
// loses everything. Returns when both agents are done or after a bounded number of steps.
void run_pair(ice::Agent& a, const util::Endpoint& a_base, ice::Agent& b,
              const util::Endpoint& b_base, ice::TimePoint& now, bool drop = false) {
    for (int step = 0; step < 20000; ++step) {
        bool moved = false;
        for (auto* from : {&a, &b}) {
            auto* to = from == &a ? &b : &a;
            const auto& source = from == &a ? a_base : b_base;
            const auto& dest = from == &a ? b_base : a_base;
            for (auto& t : from->take_transmits()) {
                moved = true;
                if (!drop && t.to == dest)
                    to->on_datagram(0, source, t.bytes, now);
            }
        }
        const bool done = [&](ice::AgentState s1, ice::AgentState s2) {
            auto final_state = [](ice::AgentState s) {
                return s == ice::AgentState::Connected || s == ice::AgentState::Failed;
            };
            return final_state(s1) && final_state(s2);
        }(a.state(), b.state());
        if (done && !moved)
            return;
        if (!moved) {
            auto next = a.next_deadline();
            auto nb = b.next_deadline();
            if (nb && (!next || *nb < *next))
                next = nb;
            if (!next)
                return;
            now = std::max(now, *next);
            a.on_timer(now);
            b.on_timer(now);
        }
    }
}

} // namespace

TEST_CASE("ice agents select the host pair and agree on it") {
    auto now = ice::Clock::now();
    const auto a_base = ep("127.0.0.1:5000");
    const auto b_base = ep("127.0.0.1:6000");
    ice::Agent a(config(true, 1, "aaaa"), {a_base}, now);
    ice::Agent b(config(false, 2, "bbbb"), {b_base}, now);
    REQUIRE(a.state() == ice::AgentState::Gathered);
    REQUIRE(b.state() == ice::AgentState::Gathered);
    CHECK(a.local_description().type == ice::DescriptionType::Offer);
    CHECK(b.local_description().type == ice::DescriptionType::Answer);
    REQUIRE(a.local_candidates().size() == 1);
    CHECK(a.local_candidates()[0].type == ice::CandidateType::Host);

    a.set_remote(b.local_description(), now);
    b.set_remote(a.local_description(), now);
    run_pair(a, a_base, b, b_base, now);
    REQUIRE(a.state() == ice::AgentState::Connected);
    REQUIRE(b.state() == ice::AgentState::Connected);
    auto sa = a.selected();
    auto sb = b.selected();
    REQUIRE(sa);
    REQUIRE(sb);
    CHECK(sa->local.address == a_base);
    CHECK(sa->remote.address == b_base);
    CHECK(sb->local.address == b_base);
    CHECK(sb->remote.address == a_base);
    CHECK(a.role_switches() == 0);
}

TEST_CASE("ice role conflict: both controlling, the larger tie-breaker stays controlling") {
    auto now = ice::Clock::now();
    const auto a_base = ep("127.0.0.1:5000");
    const auto b_base = ep("127.0.0.1:6000");
    ice::Agent a(config(true, 100, "aaaa"), {a_base}, now);
    ice::Agent b(config(true, 5, "bbbb"), {b_base}, now);
    a.set_remote(b.local_description(), now);
    b.set_remote(a.local_description(), now);
    run_pair(a, a_base, b, b_base, now);
    CHECK(a.state() == ice::AgentState::Connected);
    CHECK(b.state() == ice::AgentState::Connected);
    CHECK(a.controlling());
    CHECK_FALSE(b.controlling());
    CHECK(b.role_switches() == 1);
    CHECK(a.role_switches() == 0);
}

TEST_CASE("ice role conflict: both controlled, the larger tie-breaker becomes controlling") {
    auto now = ice::Clock::now();
    const auto a_base = ep("127.0.0.1:5000");
    const auto b_base = ep("127.0.0.1:6000");
    ice::Agent a(config(false, 7, "aaaa"), {a_base}, now);
    ice::Agent b(config(false, 9, "bbbb"), {b_base}, now);
    a.set_remote(b.local_description(), now);
    b.set_remote(a.local_description(), now);
    run_pair(a, a_base, b, b_base, now);
    CHECK(a.state() == ice::AgentState::Connected);
    CHECK(b.state() == ice::AgentState::Connected);
    CHECK(b.controlling());
    CHECK_FALSE(a.controlling());
}

TEST_CASE("ice checks fail when nothing answers") {
    auto now = ice::Clock::now();
    const auto a_base = ep("127.0.0.1:5000");
    const auto b_base = ep("127.0.0.1:6000");
    ice::Agent a(config(true, 1, "aaaa"), {a_base}, now);
    ice::Agent b(config(false, 2, "bbbb"), {b_base}, now);
    a.set_remote(b.local_description(), now);
    b.set_remote(a.local_description(), now);
    run_pair(a, a_base, b, b_base, now, /*drop=*/true);
    CHECK(a.state() == ice::AgentState::Failed);
    CHECK(b.state() == ice::AgentState::Failed);
    CHECK_FALSE(a.selected());
}

TEST_CASE("ice checks with the wrong password are not answered") {
    auto now = ice::Clock::now();
    const auto a_base = ep("127.0.0.1:5000");
    const auto b_base = ep("127.0.0.1:6000");
    ice::Agent a(config(true, 1, "aaaa"), {a_base}, now);
    ice::Agent b(config(false, 2, "bbbb"), {b_base}, now);
    a.set_remote(b.local_description(), now);
    auto wrong = a.local_description();
    wrong.pwd = "wrongwrongwrongwrongwrong";
    b.set_remote(wrong, now); // b's checks carry an integrity a cannot verify
    run_pair(a, a_base, b, b_base, now);
    // b answers a's checks with its own password, so a connects; b's own checks are never
    // answered, so b cannot.
    CHECK(a.state() == ice::AgentState::Connected);
    CHECK(b.state() == ice::AgentState::Failed);
}

TEST_CASE("ice agent drops malformed datagrams") {
    auto now = ice::Clock::now();
    ice::Agent a(config(true, 1, "aaaa"), {ep("127.0.0.1:5000")}, now);
    const std::vector<uint8_t> junk{0x00, 0x01, 0x00, 0x08, 0x21, 0x12};
    a.on_datagram(0, ep("127.0.0.1:6000"), junk, now);
    a.on_datagram(7, ep("127.0.0.1:6000"), junk, now); // unknown socket
    a.on_datagram(0, ep("127.0.0.1:6000"), {}, now);
    CHECK(a.take_transmits().empty());
    CHECK(a.state() == ice::AgentState::Gathered);
}

TEST_CASE("ice agent gathers a server-reflexive candidate and reports a silent TURN server") {
    auto now = ice::Clock::now();
    auto c = config(true, 1, "aaaa");
    c.stun_server = ep("192.0.2.10:3478");
    c.turn_server = ice::TurnServerConfig{ep("192.0.2.20:3478"), "u", "p"};
    c.gather_timeout = std::chrono::milliseconds(1000);
    ice::Agent a(c, {ep("10.0.0.1:5000")}, now);
    CHECK(a.state() == ice::AgentState::Gathering);
    auto out = a.take_transmits();
    REQUIRE(out.size() == 2); // a Binding and an Allocate
    const ice::Transmit* binding = nullptr;
    for (const auto& t : out)
        if (t.to == *c.stun_server)
            binding = &t;
    REQUIRE(binding);
    auto request = stun::MessageView::parse(binding->bytes);
    REQUIRE(request);
    // The STUN server answers with a mapped address.
    std::array<uint8_t, 128> buffer{};
    stun::MessageBuilder b(buffer, stun::Method::Binding, stun::MessageClass::SuccessResponse,
                           request->transaction_id());
    b.add(stun::XorMappedAddress{ep("203.0.113.5:40000")});
    REQUIRE(b.ok());
    a.on_datagram(0, *c.stun_server, b.bytes(), now);
    // The TURN server never answers: gathering ends at its bound, without a relayed candidate.
    for (int i = 0; i < 100 && a.state() == ice::AgentState::Gathering; ++i) {
        auto next = a.next_deadline();
        REQUIRE(next);
        now = *next;
        a.on_timer(now);
    }
    REQUIRE(a.state() == ice::AgentState::Gathered);
    REQUIRE(a.local_candidates().size() == 2);
    CHECK(a.local_candidates()[1].type == ice::CandidateType::ServerReflexive);
    CHECK(a.local_candidates()[1].address.to_string() == "203.0.113.5:40000");
    REQUIRE(a.local_candidates()[1].related);
    CHECK(a.local_candidates()[1].related->to_string() == "10.0.0.1:5000");
    CHECK_FALSE(a.notes().empty());
}

// NatProbe against simulated NATs of every RFC 4787 kind and against STUN servers that behave
// and misbehave (nat_sim.hpp).
#include "nat_sim.hpp"

#include <doctest/doctest.h>

using namespace rtc;
using namespace rtc::probe;
using namespace rtc::probe::test;
using std::chrono::milliseconds;

namespace {

constexpr auto EI = Behaviour::EndpointIndependent;
constexpr auto AD = Behaviour::AddressDependent;
constexpr auto APD = Behaviour::AddressAndPortDependent;

NatKind nat(Behaviour mapping, Behaviour filtering) {
    NatKind k;
    k.mapping = mapping;
    k.filtering = filtering;
    return k;
}

// Each test ran from its own socket: the filtering socket only ever talked to the primary.
void check_independent_sockets(const NatSim& sim) {
    auto it = sim.sent_to.find(1);
    REQUIRE(it != sim.sent_to.end());
    CHECK(it->second == std::set<util::Endpoint>{sim.a1p1});
}

} // namespace

TEST_CASE("nat probe: full cone (EIM, EIF) behind an RFC 5780 server") {
    NatSim sim(nat(EI, EI), ServerKind::Rfc5780);
    auto r = sim.run(sim.config());
    CHECK_FALSE(r.udp_blocked);
    CHECK(r.server_capable);
    CHECK(r.capability_note.empty());
    CHECK(r.mapping == EI);
    CHECK(r.filtering == EI);
    CHECK(r.rfc3489_label() == "full cone");
    CHECK(r.exit_code() == kExitEndpointIndependent);
    REQUIRE(r.mapped.has_value());
    CHECK(r.mapped->address == sim.public_ip);
    CHECK(r.local == util::Endpoint{sim.client_ip, 40000});
    CHECK(r.other_address == sim.a2p2);
    CHECK(r.software == "sim");
    // Primary, A2:P1 and A2:P2 (RFC 5780 §4.3 tests I-III).
    CHECK(r.observations.size() == 3);
    check_independent_sockets(sim);
    CHECK(sim.elapsed < milliseconds(100)); // every answer came: no timeout waited for
}

TEST_CASE("nat probe: restricted cone (EIM, address-dependent filtering)") {
    NatSim sim(nat(EI, AD), ServerKind::Rfc5780);
    auto r = sim.run(sim.config());
    CHECK(r.server_capable);
    CHECK(r.mapping == EI);
    CHECK(r.filtering == AD);
    CHECK(r.rfc3489_label() == "restricted cone");
    CHECK(r.exit_code() == 10);
    check_independent_sockets(sim);
}

TEST_CASE("nat probe: port-restricted cone in under a second with the default timeout") {
    NatSim sim(nat(EI, APD), ServerKind::Rfc5780);
    auto r = sim.run(sim.config());
    // Capability shown on the mapping socket, whose NAT state lets A2:P2 in.
    CHECK(r.server_capable);
    CHECK(r.mapping == EI);
    CHECK(r.filtering == APD);
    CHECK(r.rfc3489_label() == "port-restricted cone");
    CHECK(r.exit_code() == 10);
    check_independent_sockets(sim);
    // The unanswered CHANGE-REQUESTs are retransmitted on an RTO from the measured RTT.
    CHECK(sim.elapsed < milliseconds(1000));
    CHECK(sim.elapsed > milliseconds(200));
}

TEST_CASE("nat probe: address-dependent mapping") {
    NatSim sim(nat(AD, AD), ServerKind::Rfc5780);
    auto r = sim.run(sim.config());
    CHECK(r.mapping == AD);
    CHECK(r.mapping_varies);
    CHECK(r.server_capable);
    CHECK(r.filtering == AD);
    CHECK(r.rfc3489_label() == "symmetric");
    CHECK(r.exit_code() == kExitAddressDependent);
}

TEST_CASE("nat probe: address-and-port-dependent mapping with endpoint-independent filtering") {
    NatSim sim(nat(APD, EI), ServerKind::Rfc5780);
    auto r = sim.run(sim.config());
    CHECK(r.mapping == APD);
    CHECK(r.server_capable);
    CHECK(r.filtering == EI);
    CHECK(r.rfc3489_label() == "symmetric");
    CHECK(r.exit_code() == kExitAddressAndPortDependent);
}

TEST_CASE("nat probe: symmetric NAT (address-and-port-dependent mapping and filtering)") {
    SUBCASE("CHANGE-REQUEST support shown through RESPONSE-PORT") {
        // Only the binding toward A2:P2 lets an answer from A2:P2 in: the verification asks
        // for the answer there (RFC 5780 §7.5), so the filtering verdict stands.
        NatSim sim(nat(APD, APD), ServerKind::Rfc5780);
        auto r = sim.run(sim.config());
        CHECK(r.mapping == APD);
        CHECK(r.exit_code() == 12);
        CHECK(r.server_capable);
        CHECK(r.filtering == APD);
        CHECK(r.rfc3489_label() == "symmetric");
        check_independent_sockets(sim);
    }
    SUBCASE("a server without RESPONSE-PORT: no CHANGE-REQUEST answer can come through") {
        NatSim sim(nat(APD, APD), ServerKind::Rfc5780);
        sim.ignore_response_port = true;
        auto r = sim.run(sim.config());
        CHECK(r.mapping == APD); // known from the server's two addresses
        CHECK(r.exit_code() == 12);
        CHECK_FALSE(r.server_capable);
        CHECK(r.capability_note.find("no CHANGE-REQUEST answer") != std::string::npos);
        CHECK(r.filtering == Behaviour::Unknown);
    }
}

TEST_CASE("nat probe: no NAT") {
    NatKind open;
    open.present = false;
    NatSim sim(open, ServerKind::Rfc5780);
    auto r = sim.run(sim.config());
    CHECK(r.mapping == Behaviour::None);
    CHECK(r.mapped == r.local);
    CHECK(r.filtering == EI);
    CHECK(r.rfc3489_label() == "open internet");
    CHECK(r.exit_code() == kExitNoNat);
}

TEST_CASE("nat probe: UDP blocked is a verdict, reached within the timeout") {
    NatKind blocked;
    blocked.blocked = true;
    NatSim sim(blocked, ServerKind::Rfc5780);
    auto config = sim.config();
    config.timeout = milliseconds(800);
    auto r = sim.run(config);
    CHECK(r.udp_blocked);
    CHECK(r.exit_code() == kExitUdpBlocked);
    CHECK(r.rfc3489_label() == "udp blocked");
    CHECK(r.mapping == Behaviour::Unknown);
    CHECK(r.filtering == Behaviour::Unknown);
    CHECK_FALSE(r.server_capable);
    CHECK(sim.elapsed >= milliseconds(800));
    CHECK(sim.elapsed < milliseconds(900));
}

TEST_CASE("nat probe: a server ignoring CHANGE-REQUEST never yields endpoint-independent "
          "filtering") {
    for (auto filtering : {EI, AD, APD}) {
        CAPTURE(to_string(filtering));
        NatSim sim(nat(EI, filtering), ServerKind::IgnoresChangeRequest);
        auto r = sim.run(sim.config());
        CHECK_FALSE(r.server_capable);
        CHECK(r.capability_note.find("ignores CHANGE-REQUEST") != std::string::npos);
        CHECK(r.filtering == Behaviour::Unknown);
        // Its alternate address still answers, so the mapping test works.
        CHECK(r.mapping == EI);
        CHECK(r.rfc3489_label() == "unknown");
    }
}

TEST_CASE("nat probe: a bad OTHER-ADDRESS never yields endpoint-independent filtering") {
    for (auto filtering : {EI, AD, APD}) {
        CAPTURE(to_string(filtering));
        NatSim sim(nat(EI, filtering), ServerKind::BadOtherAddress);
        auto config = sim.config();
        config.timeout = milliseconds(500);
        auto r = sim.run(config);
        CHECK_FALSE(r.server_capable);
        CHECK(r.filtering == Behaviour::Unknown);
        CHECK(r.other_address == util::Endpoint{sim.bogus_other.address, sim.a1p2.port});
        // Nothing answers at the advertised address: one destination, no mapping verdict.
        CHECK(r.mapping == Behaviour::Unknown);
        CHECK(r.exit_code() == kExitUnknown);
    }
}

TEST_CASE("nat probe: a server silent on CHANGE-REQUEST is not taken for a filtering NAT") {
    NatSim sim(nat(EI, EI), ServerKind::SilentOnChange);
    auto r = sim.run(sim.config());
    CHECK_FALSE(r.server_capable);
    CHECK(r.filtering == Behaviour::Unknown);
    CHECK(r.mapping == EI);
}

TEST_CASE("nat probe: single-address server: capability false, filtering unknown") {
    NatSim sim(nat(EI, APD), ServerKind::SingleAddress);
    auto r = sim.run(sim.config());
    CHECK_FALSE(r.server_capable);
    CHECK(r.capability_note.find("no OTHER-ADDRESS") != std::string::npos);
    CHECK(r.filtering == Behaviour::Unknown);
    CHECK(r.mapping == Behaviour::Unknown); // one destination only
    CHECK(r.exit_code() == kExitUnknown);
}

TEST_CASE("nat probe: single-address server falls back to --alt-server for the mapping") {
    SUBCASE("endpoint-independent") {
        NatSim sim(nat(EI, APD), ServerKind::SingleAddress);
        auto config = sim.config();
        config.alt_servers = {sim.plain_server};
        auto r = sim.run(config);
        CHECK(r.mapping == EI);
        CHECK(r.filtering == Behaviour::Unknown);
        CHECK(r.exit_code() == kExitEndpointIndependent);
        CHECK(r.rfc3489_label() == "unknown");
    }
    SUBCASE("symmetric, but which kind needs two ports of one address") {
        NatSim sim(nat(APD, APD), ServerKind::SingleAddress);
        auto config = sim.config();
        config.alt_servers = {sim.plain_server, sim.plain_server2};
        auto r = sim.run(config);
        CHECK(r.mapping == Behaviour::Unknown);
        CHECK(r.mapping_varies);
        CHECK(r.rfc3489_label() == "symmetric");
        CHECK(r.exit_code() == kExitUnknown);
    }
}

TEST_CASE("nat probe: hairpinning") {
    SUBCASE("supported") {
        auto kind = nat(EI, APD);
        kind.hairpin = true;
        NatSim sim(kind, ServerKind::Rfc5780);
        auto config = sim.config();
        config.hairpin = true;
        auto r = sim.run(config);
        REQUIRE(r.hairpin.has_value());
        CHECK(*r.hairpin);
        CHECK(r.mapping == EI); // the extra sockets change no verdict
        CHECK(r.filtering == APD);
    }
    SUBCASE("not supported") {
        NatSim sim(nat(EI, EI), ServerKind::Rfc5780);
        auto config = sim.config();
        config.hairpin = true;
        auto r = sim.run(config);
        REQUIRE(r.hairpin.has_value());
        CHECK_FALSE(*r.hairpin);
    }
    SUBCASE("not asked") {
        NatSim sim(nat(EI, EI), ServerKind::Rfc5780);
        auto r = sim.run(sim.config());
        CHECK_FALSE(r.hairpin.has_value());
    }
}

TEST_CASE("nat probe: binding lifetime") {
    SUBCASE("a 5 s idle timeout is found to within the search's resolution") {
        auto kind = nat(EI, APD);
        kind.idle = milliseconds(5000);
        NatSim sim(kind, ServerKind::Rfc5780);
        auto config = sim.config();
        config.lifetime = true;
        config.lifetime_max = milliseconds(60000);
        auto r = sim.run(config);
        REQUIRE(r.binding_lifetime.has_value());
        CHECK_FALSE(r.binding_lifetime_capped);
        CHECK(*r.binding_lifetime <= milliseconds(5000));
        CHECK(*r.binding_lifetime >= milliseconds(4400));
        CHECK(r.mapping == EI); // measured side by side without disturbing the other tests
        CHECK(r.filtering == APD);
        CHECK(sim.elapsed < milliseconds(30000));
    }
    SUBCASE("longer than the maximum") {
        NatSim sim(nat(EI, EI), ServerKind::Rfc5780);
        auto config = sim.config();
        config.lifetime = true;
        config.lifetime_max = milliseconds(8000);
        auto r = sim.run(config);
        REQUIRE(r.binding_lifetime.has_value());
        CHECK(r.binding_lifetime_capped);
        CHECK(*r.binding_lifetime == milliseconds(8000));
    }
    SUBCASE("a server that ignores RESPONSE-PORT: no lifetime, and it says why") {
        NatSim sim(nat(EI, APD), ServerKind::Rfc5780);
        sim.ignore_response_port = true;
        auto config = sim.config();
        config.lifetime = true;
        config.lifetime_max = milliseconds(8000);
        auto r = sim.run(config);
        CHECK_FALSE(r.binding_lifetime.has_value());
        CHECK(r.lifetime_note.find("RESPONSE-PORT") != std::string::npos);
    }
    SUBCASE("no NAT: nothing to time") {
        NatKind open;
        open.present = false;
        NatSim sim(open, ServerKind::Rfc5780);
        auto config = sim.config();
        config.lifetime = true;
        auto r = sim.run(config);
        CHECK_FALSE(r.binding_lifetime.has_value());
        CHECK(r.lifetime_note.find("no NAT") != std::string::npos);
        CHECK(sim.elapsed < milliseconds(1000));
    }
}

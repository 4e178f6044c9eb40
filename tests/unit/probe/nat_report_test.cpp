#include "probe/nat_report.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace rtc;
using namespace rtc::probe;

namespace {

util::Endpoint ep(const char* text) {
    auto e = util::Endpoint::parse(text);
    REQUIRE(e.has_value());
    return *e;
}

const util::Endpoint kLocal{util::IpAddress::v4({10, 0, 0, 2}), 40000};

MappingVerdict infer(std::vector<MappingObservation> o) {
    return infer_mapping(o, kLocal);
}

} // namespace

TEST_CASE("infer_mapping: RFC 5780 §4.3 tests I-III") {
    const auto a1p1 = ep("198.51.100.10:3478");
    const auto a2p1 = ep("198.51.100.20:3478");
    const auto a2p2 = ep("198.51.100.20:3479");
    const auto x = ep("203.0.113.5:50000");
    const auto y = ep("203.0.113.5:50001");
    const auto z = ep("203.0.113.5:50002");
    CHECK(infer({{a1p1, x}, {a2p1, x}, {a2p2, x}}).behaviour == Behaviour::EndpointIndependent);
    auto v = infer({{a1p1, x}, {a2p1, y}, {a2p2, y}});
    CHECK(v.behaviour == Behaviour::AddressDependent);
    CHECK(v.varies);
    CHECK(infer({{a1p1, x}, {a2p1, y}, {a2p2, z}}).behaviour == Behaviour::AddressAndPortDependent);
    CHECK(infer({{a1p1, kLocal}, {a2p1, kLocal}}).behaviour == Behaviour::None);
    CHECK(infer({{a1p1, kLocal}}).behaviour == Behaviour::None);
}

TEST_CASE("infer_mapping: too few or too alike destinations give unknown") {
    const auto x = ep("203.0.113.5:50000");
    const auto y = ep("203.0.113.5:50001");
    CHECK(infer({}).behaviour == Behaviour::Unknown);
    CHECK(infer({{ep("198.51.100.10:3478"), x}}).behaviour == Behaviour::Unknown);
    // Only ports of one address: endpoint-independent and address-dependent look the same.
    CHECK(infer({{ep("198.51.100.10:3478"), x}, {ep("198.51.100.10:3479"), x}}).behaviour ==
          Behaviour::Unknown);
    // Different addresses only, mapping changes: symmetric, but which kind is unknown.
    auto v = infer({{ep("198.51.100.10:3478"), x}, {ep("198.51.100.30:3478"), y}});
    CHECK(v.behaviour == Behaviour::Unknown);
    CHECK(v.varies);
    // Repeated destinations count once.
    CHECK(infer({{ep("198.51.100.10:3478"), x}, {ep("198.51.100.10:3478"), x}}).behaviour ==
          Behaviour::Unknown);
}

TEST_CASE("nat report: exit codes and RFC 3489 labels") {
    NatReport r;
    CHECK(r.exit_code() == kExitUnknown);
    CHECK(r.rfc3489_label() == "unknown");
    r.udp_blocked = true;
    CHECK(r.exit_code() == 20);
    CHECK(r.rfc3489_label() == "udp blocked");
    r.udp_blocked = false;

    struct Row {
        Behaviour mapping;
        Behaviour filtering;
        int exit_code;
        const char* label;
    };
    const Behaviour EI = Behaviour::EndpointIndependent, AD = Behaviour::AddressDependent,
                    APD = Behaviour::AddressAndPortDependent, U = Behaviour::Unknown,
                    N = Behaviour::None;
    for (const Row& row : std::vector<Row>{{N, EI, 0, "open internet"},
                                           {N, APD, 0, "symmetric udp firewall"},
                                           {N, U, 0, "unknown"},
                                           {EI, EI, 10, "full cone"},
                                           {EI, AD, 10, "restricted cone"},
                                           {EI, APD, 10, "port-restricted cone"},
                                           {EI, U, 10, "unknown"},
                                           {AD, AD, 11, "symmetric"},
                                           {APD, U, 12, "symmetric"},
                                           {U, EI, 30, "unknown"}}) {
        CAPTURE(row.label);
        r.mapping = row.mapping;
        r.filtering = row.filtering;
        CHECK(r.exit_code() == row.exit_code);
        CHECK(r.rfc3489_label() == row.label);
    }
    r.mapping = U;
    r.mapping_varies = true;
    CHECK(r.rfc3489_label() == "symmetric");
    CHECK(to_string(Behaviour::AddressAndPortDependent) == "address-and-port-dependent");
    CHECK(to_string(Behaviour::None) == "none");
}

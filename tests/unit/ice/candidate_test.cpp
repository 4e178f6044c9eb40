// ICE candidate priorities (RFC 8445 §5.1.2, §6.1.2.3), SDP candidate strings (RFC 8839 §5.1)
// and the JSON description lines of rtc-probe ice.
#include "ice/candidate.hpp"

#include <doctest/doctest.h>

using namespace rtc;

TEST_CASE("ice candidate priority follows RFC 8445 formulas") {
    // RFC 8445 §5.1.2.1 with type preference 126, local preference 65535, component 1.
    CHECK(ice::candidate_priority(ice::CandidateType::Host, 65535) == 2130706431u);
    CHECK(ice::candidate_priority(ice::CandidateType::Relayed, 65535) == 16777215u);
    CHECK(ice::candidate_priority(ice::CandidateType::ServerReflexive, 0, 2) == (100u << 24) + 254);
    // RFC 8445 §6.1.2.3: the controlling agent's priority wins ties in the low bit.
    CHECK(ice::pair_priority(10, 20) == (uint64_t{10} << 32) + 40 + 0);
    CHECK(ice::pair_priority(20, 10) == (uint64_t{10} << 32) + 40 + 1);
}

TEST_CASE("ice candidate SDP strings round-trip") {
    auto c = ice::Candidate::parse_sdp(
        "candidate:7 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 10.0.1.1 rport 8998");
    REQUIRE(c);
    CHECK(c->foundation == "7");
    CHECK(c->priority == 1694498815u);
    CHECK(c->address.to_string() == "192.0.2.3:45664");
    CHECK(c->type == ice::CandidateType::ServerReflexive);
    REQUIRE(c->related);
    CHECK(c->related->to_string() == "10.0.1.1:8998");
    CHECK(c->to_sdp() ==
          "candidate:7 1 udp 1694498815 192.0.2.3 45664 typ srflx raddr 10.0.1.1 rport 8998");
    CHECK(ice::Candidate::parse_sdp(c->to_sdp()) == c);

    CHECK_FALSE(ice::Candidate::parse_sdp("candidate:1 1 tcp 1 192.0.2.1 9 typ host"));
    CHECK_FALSE(ice::Candidate::parse_sdp("candidate:1 1 udp 1 192.0.2.1 70000 typ host"));
    CHECK_FALSE(ice::Candidate::parse_sdp("candidate:1 1 udp 1 not-an-ip 9 typ host"));
    CHECK_FALSE(ice::Candidate::parse_sdp("candidate:1 1 udp 1 192.0.2.1 9 typ bogus"));
    CHECK_FALSE(ice::Candidate::parse_sdp(""));
    CHECK_FALSE(ice::Candidate::parse_sdp("candidate:"));
}

TEST_CASE("ice description JSON lines, plain and as signaling messages") {
    ice::Description d;
    d.type = ice::DescriptionType::Answer;
    d.ufrag = "abcd";
    d.pwd = "0123456789abcdefghij+/";
    auto c = ice::Candidate::parse_sdp("candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host");
    REQUIRE(c);
    d.candidates.push_back(*c);

    for (bool wrapped : {false, true}) {
        const auto line = d.to_json(wrapped);
        CHECK(line.find('\n') == std::string::npos);
        CHECK((line.find("\"message\"") != std::string::npos) == wrapped);
        auto back = ice::Description::parse_json(line);
        REQUIRE(back);
        CHECK(back->type == ice::DescriptionType::Answer);
        CHECK(back->ufrag == d.ufrag);
        CHECK(back->pwd == d.pwd);
        CHECK(back->candidates == d.candidates);
    }
    // Other lines are not descriptions: garbage, short credentials, other signaling events.
    CHECK_FALSE(ice::Description::parse_json("not json"));
    CHECK_FALSE(ice::Description::parse_json("[1,2]"));
    CHECK_FALSE(ice::Description::parse_json(R"({"type":"joined","peer":"x"})"));
    CHECK_FALSE(ice::Description::parse_json(
        R"({"type":"offer","ufrag":"abc","pwd":"0123456789abcdefghij+/"})"));
    CHECK_FALSE(ice::Description::parse_json(R"({"type":"offer","ufrag":"abcd","pwd":"short"})"));
    CHECK_FALSE(ice::Description::parse_json(
        R"({"type":"offer","ufrag":"ab cd","pwd":"0123456789abcdefghij+/"})"));
    // Unusable candidates are skipped, the rest kept.
    auto mixed = ice::Description::parse_json(
        R"({"type":"offer","ufrag":"abcd","pwd":"0123456789abcdefghij+/","candidates":)"
        R"([7,"garbage","candidate:1 1 udp 5 127.0.0.1 9 typ host"]})");
    REQUIRE(mixed);
    CHECK(mixed->candidates.size() == 1);
}

#pragma once
// ICE candidates (RFC 8445 §5.1) and the description an agent hands its peer: ufrag, pwd and
// candidates. Candidates travel as SDP candidate-attribute strings (RFC 8839 §5.1), the form
// browsers' trickle JSON uses: "candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host".
#include "util/ip_address.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rtc::ice {

enum class CandidateType : uint8_t { Host, ServerReflexive, PeerReflexive, Relayed };

std::string_view to_string(CandidateType type); // "host", "srflx", "prflx", "relay"
std::optional<CandidateType> candidate_type_from(std::string_view text);

// RFC 8445 §5.1.2.2: recommended type preferences.
uint32_t type_preference(CandidateType type);
// RFC 8445 §5.1.2.1: (2^24)*type + (2^8)*local + (256 - component).
uint32_t candidate_priority(CandidateType type, uint16_t local_preference, uint8_t component = 1);
// RFC 8445 §6.1.2.3: 2^32*MIN(G,D) + 2*MAX(G,D) + (G>D?1:0).
uint64_t pair_priority(uint32_t controlling, uint32_t controlled);

struct Candidate {
    std::string foundation;
    uint8_t component = 1;
    uint32_t priority = 0;
    util::Endpoint address;
    CandidateType type = CandidateType::Host;
    std::optional<util::Endpoint> related; // raddr/rport for srflx, prflx, relay

    // "candidate:F C udp P ADDR PORT typ T [raddr A rport P]" (RFC 8839 §5.1).
    std::string to_sdp() const;
    // Accepts the string with or without "candidate:" and "a=" prefixes; nullopt for anything
    // that is not a UDP candidate it can use. Never throws.
    static std::optional<Candidate> parse_sdp(std::string_view text);

    bool operator==(const Candidate&) const = default;
};

enum class DescriptionType : uint8_t { Offer, Answer };

struct Description {
    DescriptionType type = DescriptionType::Offer;
    std::string ufrag;
    std::string pwd;
    std::vector<Candidate> candidates;

    // One JSON line without a newline: {"type","ufrag","pwd","candidates":[sdp strings]}.
    // signal_json wraps it as a signaling message {"type":"message","data":{...}}.
    std::string to_json(bool signal_json = false) const;
    // Parses one line in either form; nullopt for anything else (other signaling events,
    // malformed JSON, missing ufrag/pwd). Candidates it cannot use are skipped. Never throws.
    static std::optional<Description> parse_json(std::string_view line);
};

// RFC 8445 §5.3: ufrag at least 4 and pwd at least 22 ice-chars (RFC 8839 §5.4: ALPHA / DIGIT /
// "+" / "/").
bool valid_ice_chars(std::string_view text, std::size_t min_length, std::size_t max_length = 256);
// `n` random ice-chars, e.g. a ufrag (8) or a pwd (24) of RFC 8445 §5.3.
std::string random_ice_chars(std::size_t n);

} // namespace rtc::ice

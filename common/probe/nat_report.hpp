#pragma once
// What `rtc-probe nat` found: RFC 5780 §4.3 mapping and §4.4 filtering behaviour, the server's
// RFC 5780 capability, hairpinning (§4.5), the binding lifetime (§4.6), the classic RFC 3489
// label, and the exit code that encodes the verdict.
#include "util/ip_address.hpp"

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rtc::probe {

// RFC 4787 §4.1 / §5 vocabulary. None: no NAT at all (mapped == local address).
enum class Behaviour : uint8_t {
    None,
    EndpointIndependent,
    AddressDependent,
    AddressAndPortDependent,
    Unknown,
};
// "none", "endpoint-independent", "address-dependent", "address-and-port-dependent", "unknown"
std::string_view to_string(Behaviour behaviour);

// Exit codes of `rtc-probe nat` (man page); 1 and 2 are the toolkit's runtime and usage codes.
inline constexpr int kExitNoNat = 0;
inline constexpr int kExitEndpointIndependent = 10;
inline constexpr int kExitAddressDependent = 11;
inline constexpr int kExitAddressAndPortDependent = 12;
inline constexpr int kExitUdpBlocked = 20;
inline constexpr int kExitUnknown = 30;

// One Binding answered on the mapping test's socket: where it went, what the server saw.
struct MappingObservation {
    util::Endpoint server;
    util::Endpoint mapped;
};

struct MappingVerdict {
    Behaviour behaviour = Behaviour::Unknown;
    // The mapped address changed with the destination (a "symmetric" NAT in RFC 3489 terms),
    // even when the observations cannot tell address- from address-and-port-dependent.
    bool varies = false;
};

// RFC 5780 §4.3 generalised to any set of destinations: the mapping is
// - none when a mapped address equals the local one;
// - address-and-port-dependent when two destinations with the same IP and different ports saw
//   different mapped addresses;
// - address-dependent when destinations with different IPs saw different mapped addresses but
//   some pair with the same IP and different ports saw the same one;
// - endpoint-independent when every destination saw the same mapped address and at least two
//   had different IPs;
// - unknown otherwise (too few destinations to tell).
// With the RFC 5780 destinations A1:P1, A2:P1 and A2:P2 this is exactly the §4.3 test.
MappingVerdict infer_mapping(std::span<const MappingObservation> observations,
                             const util::Endpoint& local);

struct NatReport {
    util::Endpoint server;                // the primary address tested
    std::optional<util::Endpoint> local;  // the mapping test socket's local address
    std::optional<util::Endpoint> mapped; // its mapped address as the primary server saw it
    bool udp_blocked = false;             // no server answered anything
    Behaviour mapping = Behaviour::Unknown;
    bool mapping_varies = false;
    Behaviour filtering = Behaviour::Unknown;
    bool server_capable = false;                   // RFC 5780 behaviour discovery is trustworthy
    std::string capability_note;                   // why it is not (empty when it is)
    std::optional<util::Endpoint> other_address;   // OTHER-ADDRESS as advertised
    std::optional<util::Endpoint> response_origin; // RESPONSE-ORIGIN of the first answer
    std::string software;                          // the server's SOFTWARE
    std::optional<std::chrono::microseconds> rtt;  // first answer from the primary
    std::vector<MappingObservation> observations;  // the mapping test's answers
    std::optional<bool> hairpin;                   // nullopt: not tested or not applicable
    std::string hairpin_note;
    std::optional<std::chrono::milliseconds> binding_lifetime; // longest wait seen alive
    bool binding_lifetime_capped = false; // alive at --lifetime-max: the lifetime is longer
    std::string lifetime_note;            // why there is no lifetime when one was asked for

    int exit_code() const;
    // RFC 3489 §5 / §10.1 classes: "open internet", "full cone", "restricted cone",
    // "port-restricted cone", "symmetric", "symmetric udp firewall", "udp blocked", "unknown".
    std::string_view rfc3489_label() const;
};

} // namespace rtc::probe

#include "probe/nat_report.hpp"

namespace rtc::probe {

std::string_view to_string(Behaviour behaviour) {
    switch (behaviour) {
    case Behaviour::None:
        return "none";
    case Behaviour::EndpointIndependent:
        return "endpoint-independent";
    case Behaviour::AddressDependent:
        return "address-dependent";
    case Behaviour::AddressAndPortDependent:
        return "address-and-port-dependent";
    case Behaviour::Unknown:
        return "unknown";
    }
    return "unknown";
}

MappingVerdict infer_mapping(std::span<const MappingObservation> observations,
                             const util::Endpoint& local) {
    MappingVerdict v;
    for (const auto& o : observations)
        if (o.mapped == local) {
            v.behaviour = Behaviour::None;
            return v;
        }
    bool same_ip_pair = false; // same IP, different ports, same mapped address
    bool port_changes_mapping = false;
    bool ip_pair = false;
    bool ip_changes_mapping = false;
    for (std::size_t i = 0; i < observations.size(); ++i) {
        for (std::size_t j = i + 1; j < observations.size(); ++j) {
            const auto& a = observations[i];
            const auto& b = observations[j];
            const bool differs = a.mapped != b.mapped;
            if (a.server.address == b.server.address) {
                if (a.server.port == b.server.port)
                    continue;
                (differs ? port_changes_mapping : same_ip_pair) = true;
            } else {
                ip_pair = true;
                ip_changes_mapping = ip_changes_mapping || differs;
            }
        }
    }
    v.varies = port_changes_mapping || ip_changes_mapping;
    if (port_changes_mapping) // RFC 5780 §4.3 test III: X2 != X3
        v.behaviour = Behaviour::AddressAndPortDependent;
    else if (ip_changes_mapping) // test II: X1 != X2, test III: X2 == X3
        v.behaviour = same_ip_pair ? Behaviour::AddressDependent : Behaviour::Unknown;
    else if (ip_pair) // test II: X1 == X2
        v.behaviour = Behaviour::EndpointIndependent;
    return v;
}

int NatReport::exit_code() const {
    if (udp_blocked)
        return kExitUdpBlocked;
    switch (mapping) {
    case Behaviour::None:
        return kExitNoNat;
    case Behaviour::EndpointIndependent:
        return kExitEndpointIndependent;
    case Behaviour::AddressDependent:
        return kExitAddressDependent;
    case Behaviour::AddressAndPortDependent:
        return kExitAddressAndPortDependent;
    case Behaviour::Unknown:
        break;
    }
    return kExitUnknown;
}

std::string_view NatReport::rfc3489_label() const {
    if (udp_blocked)
        return "udp blocked";
    if (mapping_varies)
        return "symmetric";
    switch (mapping) {
    case Behaviour::None:
        // RFC 3489 §10.1: test II (change IP and port) answered -> open, else a firewall.
        if (filtering == Behaviour::EndpointIndependent)
            return "open internet";
        if (filtering == Behaviour::Unknown)
            return "unknown";
        return "symmetric udp firewall";
    case Behaviour::EndpointIndependent:
        if (filtering == Behaviour::EndpointIndependent)
            return "full cone";
        if (filtering == Behaviour::AddressDependent)
            return "restricted cone";
        if (filtering == Behaviour::AddressAndPortDependent)
            return "port-restricted cone";
        return "unknown";
    case Behaviour::AddressDependent:
    case Behaviour::AddressAndPortDependent:
        return "symmetric";
    case Behaviour::Unknown:
        break;
    }
    return "unknown";
}

} // namespace rtc::probe

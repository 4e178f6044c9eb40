#pragma once
// The machine's own IP addresses (getifaddrs), for the host candidates a tool advertises when it
// is bound to a wildcard address.
#include "util/ip_address.hpp"

#include <vector>

namespace rtc::net {

// Addresses of `family` on the interfaces that are up, without loopback, link-local (fe80::/10)
// and duplicates, in the kernel's order. When none is left: the family's loopback address.
std::vector<util::IpAddress> interface_addresses(util::Family family);

} // namespace rtc::net

#pragma once
// Turning a server URI's host into an address, and finding the local address a probe sends
// from.
#include "probe/server_url.hpp"
#include "util/ip_address.hpp"

#include <optional>

namespace rtc::probe_tool {

// The URI's address (an IP literal as is, a name through the system resolver): of `family`
// when given, else the first the resolver returns. Throws app::ToolError when there is none.
util::Endpoint resolve(const probe::ServerUrl& url,
                       std::optional<util::Family> family = std::nullopt);

// The local address the kernel would send from to reach `to` (a connected UDP socket's name),
// with port 0. Throws app::ToolError when there is no route.
util::IpAddress local_address_towards(const util::Endpoint& to);

} // namespace rtc::probe_tool

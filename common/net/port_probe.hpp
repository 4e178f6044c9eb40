#pragma once
// SO_REUSEPORT lets every socket of the same user join a port's group, so a second server started
// on a taken port would bind "successfully" and silently take half of the traffic. Before the
// first socket of a group binds, probe_port_free() binds the address once without SO_REUSEPORT:
// that fails with EADDRINUSE whenever anything else holds the port.
//
//   if (auto ec = rtc::net::probe_port_free(endpoint, rtc::net::Protocol::Udp))
//       throw ToolError("cannot listen on udp://" + endpoint.to_string() + ": " + ec.message());
#include "util/ip_address.hpp"

#include <system_error>

namespace rtc::net {

enum class Protocol { Udp, Tcp };

// An empty error_code when the port is free (always for port 0), else why it cannot be had.
std::error_code probe_port_free(const util::Endpoint& endpoint, Protocol protocol);

// EADDRINUSE from the OS or from Asio: standalone Asio's category does not map its codes to
// std::errc, so `ec == std::errc::address_in_use` is false for Asio's errors.
bool is_address_in_use(const std::error_code& ec);

} // namespace rtc::net

#pragma once
// The one-line error every server gives when a listener cannot be had (CLI.md "Every tool"):
//   rtc-stun: cannot listen on udp://0.0.0.0:3478: Address already in use
//             (is another STUN or TURN server running?)
#include "app/exit_codes.hpp"
#include "net/port_probe.hpp"
#include "util/ip_address.hpp"

#include <string_view>
#include <system_error>

namespace rtc::app {

// What a STUN or TURN server says when a port it wants is taken.
inline constexpr std::string_view kStunTurnInUseHint = "is another STUN or TURN server running?";

// `in_use_hint` is what to say when the address is taken; other failures point at --listen.
inline ToolError cannot_listen(std::string_view scheme, const util::Endpoint& endpoint,
                               const std::error_code& ec, std::string_view in_use_hint) {
    std::string what = "cannot listen on ";
    what += scheme;
    what += "://";
    what += endpoint.to_string();
    what += ": ";
    what += ec.message();
    return ToolError(what, net::is_address_in_use(ec) ? std::string(in_use_hint)
                                                      : "check the --listen values");
}

// SO_REUSEPORT would let a server's workers join another process's port and take half its
// traffic: before the first worker binds, check the port is free (net::probe_port_free) and
// throw cannot_listen() when it is not.
inline void require_port_free(std::string_view scheme, const util::Endpoint& endpoint,
                              net::Protocol protocol, std::string_view in_use_hint) {
    if (auto ec = net::probe_port_free(endpoint, protocol))
        throw cannot_listen(scheme, endpoint, ec, in_use_hint);
}

} // namespace rtc::app

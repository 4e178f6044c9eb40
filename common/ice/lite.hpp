#pragma once
// The ICE-lite side of connectivity checks (RFC 8445 §2.5, §7.3) for a server that serves many
// peers on one UDP port (rtc-sfu). Stateless: the caller finds the peer by the local ufrag
// (check_username), then lets answer_check verify the request with that peer's password and write
// the Binding success response. A lite agent is always controlled (RFC 8445 §6.1.1), so a check
// carrying ICE-CONTROLLED gets 487 (Role Conflict, §7.3.1.1).
//
//   auto m = stun::MessageView::parse(datagram);
//   auto names = ice::check_username(*m);            // {local "SFU1", remote "abcd"}
//   Peer* p = peers.find(names->local);
//   auto r = ice::answer_check(*m, from, p->pwd, out);
//   if (r.size) send(out.first(r.size), from);
//   if (r.outcome == ice::CheckOutcome::Valid && r.use_candidate) p->select(from);
//
// Consent freshness (RFC 7675 §5.1) needs no more than this on the lite side: the full agent
// keeps sending checks, and the caller expires a peer whose checks stop.
#include "stun/message.hpp"
#include "util/ip_address.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace rtc::ice {

struct CheckUsername {
    std::string_view local;  // our ufrag: the part before ':' (RFC 8445 §7.2.2)
    std::string_view remote; // the peer's ufrag
};

// The USERNAME "LFRAG:RFRAG" of a Binding request; nullopt when the message is not a Binding
// request or has no well-formed USERNAME.
std::optional<CheckUsername> check_username(const stun::MessageView& request);

enum class CheckOutcome : uint8_t {
    Valid,        // answered with a success response
    RoleConflict, // answered with 487: the peer claims to be controlled too
    BadIntegrity, // dropped: MESSAGE-INTEGRITY missing or wrong (RFC 8445 §7.3, RFC 8489 §9.1.3)
    BadRequest,   // dropped: not a Binding request, or no PRIORITY (RFC 8445 §7.3)
    NoRoom,       // dropped: `out` too small
};

struct CheckResult {
    CheckOutcome outcome = CheckOutcome::BadRequest;
    std::size_t size = 0;       // bytes of the response written to `out` (0: send nothing)
    bool use_candidate = false; // the controlling agent nominates this pair (RFC 8445 §8.1.1)
    uint32_t priority = 0;      // PRIORITY: of the peer-reflexive candidate it would be
};

// Verifies `request` with `local_pwd` (the short-term key, RFC 8489 §9.1.1) and writes the
// response to `out`: XOR-MAPPED-ADDRESS of `from`, MESSAGE-INTEGRITY, FINGERPRINT.
CheckResult answer_check(const stun::MessageView& request, const util::Endpoint& from,
                         std::string_view local_pwd, std::span<uint8_t> out);

} // namespace rtc::ice

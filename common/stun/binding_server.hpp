#pragma once
// Sans-I/O STUN Binding server (RFC 8489 §6.3, §7.3) with NAT behaviour discovery support
// (RFC 5780 §6.1), shared by rtc-stun and rtc-turn. handle() turns one received datagram (or
// stream frame) into at most one response written into a caller-provided buffer, with no heap
// allocation; the shell sends it from the chosen local socket to the chosen destination.
//
// Decisions:
// - Indications, responses and requests of other methods are dropped silently
//   (RFC 8489 §6.3: unsupported methods and the wrong class are discarded, no error response).
// - Malformed framing (ParseError) is dropped, including a wrong FINGERPRINT (RFC 8489 §6.3).
// - A Binding request whose known attributes have bad values (CHANGE-REQUEST or RESPONSE-PORT of
//   the wrong length, RESPONSE-PORT 0) gets 400 Bad Request.
// - Unknown comprehension-required attributes get 420 with UNKNOWN-ATTRIBUTES (RFC 8489 §6.3.1).
//   CHANGE-REQUEST and RESPONSE-PORT without RFC 5780 addresses, or on anything but UDP, count
//   as unknown (as coturn does for CHANGE-REQUEST): a plain server redirects nothing. RFC 3489's RESPONSE-ADDRESS is unknown too.
// - RESPONSE-PORT is honoured on UDP with or without RFC 5780 addresses: it only redirects to
//   another port of the source IP, which a spoofed source port could do anyway.
// - Amplification bound: a response is at most 2.5x the request (PADDING never makes it larger
//   than the request). Optional attributes are added in priority order while they fit:
//   XOR-MAPPED-ADDRESS (always fits), MAPPED-ADDRESS (RFC 3489 clients), FINGERPRINT (when the
//   request had one), OTHER-ADDRESS, RESPONSE-ORIGIN, SOFTWARE, then PADDING.
// - RFC 3489 clients (no magic cookie) get SOURCE-ADDRESS and CHANGED-ADDRESS (RFC 3489 §11.2)
//   in place of RESPONSE-ORIGIN and OTHER-ADDRESS, as coturn sends them.
// - OTHER-ADDRESS is always rfc5780[3], the alternate IP and port of the primary address.
#include "stun/message.hpp"
#include "util/ip_address.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace rtc::stun {

enum class Transport : uint8_t { Udp, Tcp, Tls, Dtls };

enum class DropReason : uint8_t {
    None, // a response was produced
    NotStun,
    BadLength,
    BadAttribute,
    MisplacedFingerprint,
    BadFingerprint,
    NotRequest,        // indication or response
    UnsupportedMethod, // a request for a method other than Binding
    BufferTooSmall,    // the output buffer cannot hold even the minimal response
};
// snake_case labels for metrics ("none", "not_stun", ..., "buffer_too_small").
std::string_view to_string(DropReason reason);
DropReason drop_reason(ParseError error);

struct BindingServerConfig {
    std::optional<std::string> software; // SOFTWARE only when set (< 128 characters)
    // RFC 5780: the four local addresses, indexed by (alt_ip << 1 | alt_port):
    // [0]=A1:P1 primary, [1]=A1:P2, [2]=A2:P1, [3]=A2:P2. Absent -> no RFC 5780.
    std::optional<std::array<util::Endpoint, 4>> rfc5780;
};

struct BindingRequest {
    std::span<const uint8_t> bytes;
    util::Endpoint source;   // the client's address as seen by the server
    util::Endpoint local;    // the local address the request arrived on
    uint8_t local_index = 0; // which of the rfc5780 addresses `local` is (0..3)
    Transport transport = Transport::Udp;
};

struct BindingOutcome {
    std::size_t size = 0;       // bytes written to `out`; 0 = nothing to send
    uint8_t send_from = 0;      // index of the rfc5780 address to send from (local_index if none)
    util::Endpoint destination; // where to send (the source, or RESPONSE-PORT's port)
    DropReason drop = DropReason::None; // why nothing is sent, when size == 0
    uint16_t error_code = 0;            // 0 for success responses, else 400 / 420
};

class BindingServer {
public:
    // Throws std::invalid_argument for an invalid configuration (see validate()).
    explicit BindingServer(BindingServerConfig config);

    // Why a configuration is unusable (SOFTWARE too long; RFC 5780 addresses that are not two
    // distinct IPs of one family times two distinct ports), or nullopt when it is fine.
    static std::optional<std::string> validate(const BindingServerConfig &config);

    // Parses and answers. `out` should hold at least 2.5x the request (or kMaxMessageSize).
    BindingOutcome handle(const BindingRequest &request, std::span<uint8_t> out) const;
    // The same for a request already parsed by the caller (e.g. rtc-turn's dispatcher);
    // `message` must be a view of request.bytes.
    BindingOutcome handle(const MessageView &message, const BindingRequest &request,
                          std::span<uint8_t> out) const;

    const BindingServerConfig &config() const { return config_; }

private:
    BindingServerConfig config_;
};

} // namespace rtc::stun

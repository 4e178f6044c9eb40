#include "stun/binding_server.hpp"

#include "stun/attributes.hpp"
#include "stun/builder.hpp"

#include <algorithm>
#include <stdexcept>

namespace rtc::stun {

std::string_view to_string(DropReason reason) {
    switch (reason) {
    case DropReason::None:
        return "none";
    case DropReason::NotStun:
        return "not_stun";
    case DropReason::BadLength:
        return "bad_length";
    case DropReason::BadAttribute:
        return "bad_attribute";
    case DropReason::MisplacedFingerprint:
        return "misplaced_fingerprint";
    case DropReason::BadFingerprint:
        return "bad_fingerprint";
    case DropReason::NotRequest:
        return "not_request";
    case DropReason::UnsupportedMethod:
        return "unsupported_method";
    case DropReason::BufferTooSmall:
        return "buffer_too_small";
    }
    return "unknown";
}

DropReason drop_reason(ParseError error) {
    switch (error) {
    case ParseError::NotStun:
        return DropReason::NotStun;
    case ParseError::BadLength:
        return DropReason::BadLength;
    case ParseError::BadAttribute:
        return DropReason::BadAttribute;
    case ParseError::MisplacedFingerprint:
        return DropReason::MisplacedFingerprint;
    case ParseError::BadFingerprint:
        return DropReason::BadFingerprint;
    }
    return DropReason::NotStun;
}

std::optional<std::string> BindingServer::validate(const BindingServerConfig &config) {
    if (config.software && !Software::valid(*config.software))
        return "SOFTWARE must be fewer than 128 characters";
    if (config.rfc5780) {
        const auto &e = *config.rfc5780;
        bool one_family = std::all_of(e.begin(), e.end(), [&](const util::Endpoint &x) {
            return x.address.family() == e[0].address.family();
        });
        if (!one_family)
            return "the four RFC 5780 addresses must share one address family";
        if (e[0].address != e[1].address || e[2].address != e[3].address ||
            e[0].address == e[2].address)
            return "RFC 5780 needs two distinct IP addresses: [0],[1] on one and [2],[3] on the "
                   "other";
        if (e[0].port != e[2].port || e[1].port != e[3].port || e[0].port == e[1].port ||
            e[0].port == 0 || e[1].port == 0)
            return "RFC 5780 needs two distinct non-zero ports: [0],[2] on one and [1],[3] on "
                   "the other";
    }
    return std::nullopt;
}

BindingServer::BindingServer(BindingServerConfig config) : config_(std::move(config)) {
    if (auto error = validate(config_))
        throw std::invalid_argument(*error);
}

namespace {

// Running total of a response's size against the amplification budget.
struct Budget {
    std::size_t limit;
    std::size_t used;
    bool take(std::size_t n) {
        if (used + n > limit)
            return false;
        used += n;
        return true;
    }
};

struct RequestScan {
    std::array<uint16_t, UnknownAttributes::kMaxTypes> unknown{};
    std::size_t unknown_count = 0;
    bool bad_request = false;
    std::optional<ChangeRequest> change;
    std::optional<uint16_t> response_port;
    std::optional<std::size_t> padding;

    void add_unknown(uint16_t type) {
        for (std::size_t i = 0; i < unknown_count; ++i)
            if (unknown[i] == type)
                return;
        if (unknown_count < unknown.size())
            unknown[unknown_count++] = type;
    }
};

RequestScan scan(const MessageView &m, bool udp, bool rfc5780) {
    RequestScan s;
    bool seen_change = false;
    bool seen_port = false;
    for (auto a : m) {
        switch (a.type) {
        case attr::kChangeRequest: // RFC 5780 §7.2
            if (!rfc5780 || !udp) {
                s.add_unknown(a.type);
            } else if (!seen_change) {
                seen_change = true;
                s.change = ChangeRequest::parse(a.value);
                s.bad_request = s.bad_request || !s.change;
            }
            break;
        case attr::kResponsePort: // RFC 5780 §7.5: UDP only, and only where RFC 5780 is served
            if (!udp || !rfc5780) {
                s.add_unknown(a.type);
            } else if (!seen_port) {
                seen_port = true;
                auto p = ResponsePort::parse(a.value);
                if (p && p->port != 0)
                    s.response_port = p->port;
                else
                    s.bad_request = true;
            }
            break;
        case attr::kPadding: // RFC 5780 §7.6
            if (!s.padding)
                s.padding = a.value.size();
            break;
        default:
            if (attr::is_comprehension_required(a.type) && !attr::is_known(a.type))
                s.add_unknown(a.type);
        }
    }
    return s;
}

std::size_t address_attribute_size(const util::Endpoint &e) {
    return attribute_size(address_value_size(e));
}

} // namespace

BindingOutcome BindingServer::handle(const BindingRequest &request, std::span<uint8_t> out) const {
    ParseError error{};
    auto message = MessageView::parse(request.bytes, &error);
    if (!message) {
        BindingOutcome o;
        o.send_from = request.local_index & 3;
        o.destination = request.source;
        o.drop = drop_reason(error);
        return o;
    }
    return handle(*message, request, out);
}

BindingOutcome BindingServer::handle(const MessageView &m, const BindingRequest &request,
                                     std::span<uint8_t> out) const {
    BindingOutcome o;
    o.send_from = request.local_index & 3;
    o.destination = request.source;
    // RFC 8489 §6.3: only requests of a supported method get an answer.
    if (!m.is_request()) {
        o.drop = DropReason::NotRequest;
        return o;
    }
    if (m.method() != Method::Binding) {
        o.drop = DropReason::UnsupportedMethod;
        return o;
    }

    const bool udp = request.transport == Transport::Udp;
    const bool nat = config_.rfc5780.has_value();
    const auto s = scan(m, udp, nat);
    const auto tid = m.transaction_id();
    const uint32_t cookie = m.cookie(); // echoes an RFC 3489 client's 128-bit id too
    const std::size_t limit = std::min(out.size(), m.size() * 5 / 2);
    auto too_small = [&] {
        o.drop = DropReason::BufferTooSmall;
        return o;
    };

    if (s.unknown_count > 0 || s.bad_request) {
        // RFC 8489 §6.3.1: 420 with UNKNOWN-ATTRIBUTES comes before other checks.
        const uint16_t code =
            s.unknown_count > 0 ? error_code::kUnknownAttribute : error_code::kBadRequest;
        const ErrorCode error{code, default_reason(code)};
        Budget budget{limit, kHeaderSize + attribute_size(4 + error.reason.size())};
        if (budget.used > limit)
            return too_small();
        UnknownAttributes unknown;
        if (s.unknown_count > 0) {
            // List as many as fit (at least one: a request with one unknown attribute is at
            // least 24 bytes, so the budget is 60 and this response 56).
            std::size_t room = limit - budget.used;
            if (room < attribute_size(2))
                return too_small();
            std::size_t fit = std::min(s.unknown_count, (room - kAttributeHeaderSize) / 2);
            while (fit > 0 && attribute_size(2 * fit) > room)
                --fit;
            for (std::size_t i = 0; i < fit; ++i)
                unknown.add(s.unknown[i]);
            budget.take(attribute_size(2 * fit));
        }
        const bool fingerprint = m.has_fingerprint() && budget.take(attribute_size(4));
        MessageBuilder b(out.first(limit), Method::Binding, MessageClass::ErrorResponse, tid,
                         cookie);
        b.add(error);
        if (unknown.count > 0)
            b.add(unknown);
        if (fingerprint)
            b.add_fingerprint();
        if (!b.ok())
            return too_small();
        o.size = b.size();
        o.error_code = code;
        return o;
    }

    // Success (RFC 8489 §7.3.1). RFC 5780 §6.1: CHANGE-REQUEST picks the socket to answer from.
    if (nat && s.change) {
        o.send_from = static_cast<uint8_t>(
            o.send_from ^ ((s.change->change_ip ? 2 : 0) | (s.change->change_port ? 1 : 0)));
    }
    if (s.response_port)
        o.destination.port = *s.response_port;

    // Optional attributes in priority order, each only if it still fits the budget.
    Budget budget{limit, kHeaderSize + address_attribute_size(request.source)};
    if (budget.used > limit)
        return too_small();
    const bool classic = m.is_classic();
    // RFC 8489 §12: RFC 3489 clients only understand MAPPED-ADDRESS.
    const bool mapped = classic && budget.take(address_attribute_size(request.source));
    const bool fingerprint = m.has_fingerprint() && budget.take(attribute_size(4));
    const util::Endpoint *origin = nullptr;
    const util::Endpoint *other = nullptr;
    if (nat) {
        const auto &addresses = *config_.rfc5780;
        // OTHER-ADDRESS first: RFC 5780 clients (pion's stun-nat-behaviour, coturn's
        // turnutils_natdiscovery) send bare 20-byte requests, whose 50-byte budget has room for
        // XOR-MAPPED-ADDRESS and one IPv4 address, and they need OTHER-ADDRESS to go on.
        if (budget.take(address_attribute_size(addresses[3])))
            other = &addresses[3];
        if (budget.take(address_attribute_size(addresses[o.send_from])))
            origin = &addresses[o.send_from];
    }
    const bool software = config_.software && budget.take(attribute_size(config_.software->size()));
    // RFC 5780 §7.6: echo PADDING on UDP, never making the response larger than the request.
    std::optional<Padding> padding;
    if (s.padding && udp) {
        std::size_t cap = std::min(limit, m.size());
        if (budget.used + kAttributeHeaderSize <= cap) {
            std::size_t room = (cap - budget.used - kAttributeHeaderSize) & ~std::size_t{3};
            padding = Padding{std::min(*s.padding, room)};
            budget.take(attribute_size(padding->length));
        }
    }

    MessageBuilder b(out.first(limit), Method::Binding, MessageClass::SuccessResponse, tid, cookie);
    b.add(XorMappedAddress{request.source});
    if (mapped)
        b.add(MappedAddress{request.source});
    // RFC 5780 §7.3/§7.4; RFC 3489 clients know them as SOURCE-ADDRESS / CHANGED-ADDRESS.
    if (origin)
        classic ? b.add(SourceAddress{*origin}) : b.add(ResponseOrigin{*origin});
    if (other)
        classic ? b.add(ChangedAddress{*other}) : b.add(OtherAddress{*other});
    if (software)
        b.add(Software{*config_.software});
    if (padding)
        b.add(*padding);
    if (fingerprint)
        b.add_fingerprint();
    if (!b.ok())
        return too_small();
    o.size = b.size();
    return o;
}

} // namespace rtc::stun

#include "probe/binding.hpp"

#include "stun/attributes.hpp"
#include "stun/builder.hpp"

#include <array>

namespace rtc::probe {

std::span<const uint8_t> build_binding_request(std::span<uint8_t> out,
                                               const BindingRequestSpec& spec) {
    stun::MessageBuilder b(out, stun::Method::Binding, stun::MessageClass::Request, spec.id);
    if (spec.change_ip || spec.change_port)
        b.add(stun::ChangeRequest{spec.change_ip, spec.change_port});
    if (spec.response_port)
        b.add(stun::ResponsePort{*spec.response_port});
    if (!spec.software.empty())
        b.add(stun::Software{spec.software});
    if (spec.fingerprint)
        b.add_fingerprint();
    return b.ok() ? b.bytes() : std::span<const uint8_t>{};
}

std::optional<BindingAnswer> read_binding_answer(const stun::MessageView& m) {
    if (m.method() != stun::Method::Binding || m.is_classic())
        return std::nullopt;
    const auto cls = m.message_class();
    if (cls != stun::MessageClass::SuccessResponse && cls != stun::MessageClass::ErrorResponse)
        return std::nullopt;
    BindingAnswer a;
    a.success = cls == stun::MessageClass::SuccessResponse;
    if (auto software = m.get<stun::Software>())
        a.software.assign(software->value);
    if (!a.success) {
        if (auto error = m.get<stun::ErrorCode>()) {
            a.error_code = error->code;
            a.error_reason.assign(error->reason);
        }
        return a;
    }
    // RFC 8489 §7.3.3: unknown comprehension-required attributes fail the transaction.
    std::array<uint16_t, 1> unknown{};
    if (m.unknown_comprehension_required(unknown) > 0)
        return std::nullopt;
    if (auto x = m.get<stun::XorMappedAddress>())
        a.mapped = x->endpoint;
    else if (auto mapped = m.get<stun::MappedAddress>())
        a.mapped = mapped->endpoint; // RFC 8489 §14.1: servers for RFC 3489 clients
    if (!a.mapped)
        return std::nullopt;
    if (auto other = m.get<stun::OtherAddress>())
        a.other_address = other->endpoint;
    else if (auto changed = m.get<stun::ChangedAddress>())
        a.other_address = changed->endpoint; // RFC 5780 §7.4 replaces RFC 3489's attribute
    if (auto origin = m.get<stun::ResponseOrigin>())
        a.response_origin = origin->endpoint;
    else if (auto source = m.get<stun::SourceAddress>())
        a.response_origin = source->endpoint;
    return a;
}

BindingClient::BindingClient(const stun::TransactionId& id, const RetransmitPolicy& policy,
                             std::string_view software, TimePoint now)
    : id_(id), timer_(policy, now) {
    BindingRequestSpec spec;
    spec.id = id;
    spec.software = software;
    size_ = build_binding_request(request_, spec).size();
}

std::span<const uint8_t> BindingClient::poll(TimePoint now) {
    if (answered() || size_ == 0 || !timer_.send_due(now))
        return {};
    return request();
}

bool BindingClient::on_message(std::span<const uint8_t> bytes, TimePoint now) {
    if (answered() || timer_.expired(now))
        return false;
    auto m = stun::MessageView::parse(bytes);
    if (!m || m->transaction_id() != id_)
        return false;
    auto a = read_binding_answer(*m);
    if (!a)
        return false;
    answer_ = std::move(a);
    rtt_ = now - timer_.last_sent();
    return true;
}

std::optional<TimePoint> BindingClient::next_deadline() const {
    if (answered())
        return std::nullopt;
    return timer_.next_deadline();
}

} // namespace rtc::probe

#include "ice/lite.hpp"

#include "stun/attributes.hpp"
#include "stun/builder.hpp"

namespace rtc::ice {

namespace {

std::span<const uint8_t> as_bytes(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

} // namespace

std::optional<CheckUsername> check_username(const stun::MessageView& request) {
    if (request.method() != stun::Method::Binding || !request.is_request() || request.is_classic())
        return std::nullopt;
    auto attribute = request.find(stun::attr::kUsername);
    if (!attribute)
        return std::nullopt;
    std::string_view value(reinterpret_cast<const char*>(attribute->value.data()),
                           attribute->value.size());
    const auto colon = value.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == value.size())
        return std::nullopt;
    return CheckUsername{value.substr(0, colon), value.substr(colon + 1)};
}

CheckResult answer_check(const stun::MessageView& request, const util::Endpoint& from,
                         std::string_view local_pwd, std::span<uint8_t> out) {
    CheckResult result;
    if (!check_username(request))
        return result;
    // RFC 8445 §7.3: MESSAGE-INTEGRITY with our password, else drop (no 401 for checks).
    if (!request.verify_message_integrity(as_bytes(local_pwd))) {
        result.outcome = CheckOutcome::BadIntegrity;
        return result;
    }
    auto priority = request.get<stun::Priority>();
    if (!priority)
        return result; // RFC 8445 §7.3: PRIORITY is mandatory in a check
    result.priority = priority->value;
    result.use_candidate = request.has(stun::UseCandidate::kType);

    const bool conflict = request.has(stun::IceControlled::kType);
    const auto cls =
        conflict ? stun::MessageClass::ErrorResponse : stun::MessageClass::SuccessResponse;
    stun::MessageBuilder b(out, stun::Method::Binding, cls, request.transaction_id());
    if (conflict)
        b.add(stun::ErrorCode{stun::error_code::kRoleConflict,
                              stun::default_reason(stun::error_code::kRoleConflict)});
    else
        b.add(stun::XorMappedAddress{from}); // RFC 8445 §7.3.1.2
    b.add_message_integrity(as_bytes(local_pwd));
    b.add_fingerprint();
    if (!b.ok()) {
        result.outcome = CheckOutcome::NoRoom;
        return result;
    }
    result.outcome = conflict ? CheckOutcome::RoleConflict : CheckOutcome::Valid;
    if (conflict)
        result.use_candidate = false;
    result.size = b.size();
    return result;
}

} // namespace rtc::ice

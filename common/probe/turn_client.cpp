#include "probe/turn_client.hpp"

#include "stun/address_attributes.hpp"
#include "stun/builder.hpp"
#include "stun/credentials.hpp"
#include "stun/rfc8489_attributes.hpp"
#include "stun/turn_attributes.hpp"

#include <algorithm>

namespace rtc::probe {

namespace {

namespace ec = stun::error_code;

stun::Method method_of_kind(TurnRequestKind kind) {
    switch (kind) {
    case TurnRequestKind::Allocate:
        return stun::Method::Allocate;
    case TurnRequestKind::CreatePermission:
        return stun::Method::CreatePermission;
    case TurnRequestKind::ChannelBind:
        return stun::Method::ChannelBind;
    case TurnRequestKind::Refresh:
        return stun::Method::Refresh;
    }
    return stun::Method::Allocate;
}

std::string text_of(std::string_view v) {
    return std::string(v);
}

} // namespace

std::string_view to_string(TurnRequestKind kind) {
    switch (kind) {
    case TurnRequestKind::Allocate:
        return "Allocate";
    case TurnRequestKind::CreatePermission:
        return "CreatePermission";
    case TurnRequestKind::ChannelBind:
        return "ChannelBind";
    case TurnRequestKind::Refresh:
        return "Refresh";
    }
    return "Unknown";
}

std::string_view failure_code(TurnFailure failure) {
    switch (failure) {
    case TurnFailure::None:
        return "none";
    case TurnFailure::Timeout:
        return "timeout";
    case TurnFailure::RealmMismatch:
        return "realm_mismatch";
    case TurnFailure::WrongCredentials:
        return "wrong_credentials";
    case TurnFailure::Forbidden:
        return "forbidden";
    case TurnFailure::AllocationMismatch:
        return "allocation_mismatch";
    case TurnFailure::AllocationQuota:
        return "allocation_quota";
    case TurnFailure::InsufficientCapacity:
        return "insufficient_capacity";
    case TurnFailure::ErrorResponse:
        return "error_response";
    case TurnFailure::BadResponse:
        return "bad_response";
    }
    return "unknown";
}

TurnClient::TurnClient(TurnCredentials credentials, const RetransmitPolicy& policy,
                       std::string software, IdSource next_id)
    : credentials_(std::move(credentials)), policy_(policy), software_(std::move(software)),
      next_id_(std::move(next_id)) {}

void TurnClient::start(const TurnRequestSpec& spec, TimePoint now) {
    spec_ = spec;
    stale_retries_ = 0;
    failure_ = TurnFailure::None;
    error_code_ = 0;
    error_reason_.clear();
    done_ = false;
    resend(now);
}

// A new transaction for the current request (RFC 8489 §6.2: a new transaction id).
void TurnClient::resend(TimePoint now) {
    id_ = next_id_();
    active_ = build();
    if (!active_) {
        fail(TurnFailure::BadResponse, 0, "the request does not fit (name or realm too long)");
        return;
    }
    timer_ = Retransmitter(policy_, now);
}

bool TurnClient::build() {
    stun::MessageBuilder b(request_, method_of_kind(spec_.kind), stun::MessageClass::Request, id_);
    switch (spec_.kind) {
    case TurnRequestKind::Allocate:
        b.add(stun::RequestedTransport{stun::RequestedTransport::kUdp}); // RFC 8656 §7.1
        break;
    case TurnRequestKind::CreatePermission:
        b.add(stun::XorPeerAddress{spec_.peer}); // RFC 8656 §9.1
        break;
    case TurnRequestKind::ChannelBind:
        b.add(stun::ChannelNumber{spec_.channel}); // RFC 8656 §11.1
        b.add(stun::XorPeerAddress{spec_.peer});
        break;
    case TurnRequestKind::Refresh:
        if (spec_.include_lifetime)
            b.add(stun::Lifetime{spec_.lifetime}); // RFC 8656 §8.1
        break;
    }
    if (!software_.empty())
        b.add(stun::Software{software_});
    if (have_key_) {
        // RFC 8489 §9.2.3: USERNAME, REALM, NONCE, then MESSAGE-INTEGRITY.
        b.add(stun::Username{credentials_.username});
        b.add(stun::Realm{realm_});
        b.add(stun::Nonce{nonce_});
        if (!password_algorithms_.empty()) {
            // RFC 8489 §9.2.4: with the nonce cookie, repeat the server's list and choose MD5.
            b.add_raw(stun::attr::kPasswordAlgorithms, password_algorithms_);
            b.add(stun::PasswordAlgorithm{stun::kPasswordAlgorithmMd5, {}});
        }
        b.add_message_integrity(key_);
    }
    b.add_fingerprint();
    if (!b.ok())
        return false;
    size_ = b.size();
    return true;
}

std::span<const uint8_t> TurnClient::poll(TimePoint now) {
    if (!active_)
        return {};
    if (timer_.expired(now)) {
        fail(TurnFailure::Timeout);
        return {};
    }
    if (!timer_.send_due(now))
        return {};
    ++requests_;
    return {request_.data(), size_};
}

std::optional<TimePoint> TurnClient::next_deadline() const {
    if (!active_)
        return std::nullopt;
    return timer_.next_deadline();
}

bool TurnClient::finished(TimePoint now) const {
    return done_ || !active_ || timer_.expired(now);
}

void TurnClient::fail(TurnFailure failure, uint16_t code, std::string reason) {
    failure_ = failure;
    error_code_ = code;
    error_reason_ = std::move(reason);
    active_ = false;
    done_ = true;
}

bool TurnClient::on_message(std::span<const uint8_t> bytes, TimePoint now) {
    if (!active_)
        return false;
    if (timer_.expired(now)) {
        fail(TurnFailure::Timeout);
        return false;
    }
    auto m = stun::MessageView::parse(bytes);
    if (!m || m->is_classic() || m->transaction_id() != id_ ||
        m->method() != method_of_kind(spec_.kind))
        return false;
    const auto cls = m->message_class();
    if (cls == stun::MessageClass::SuccessResponse) {
        // RFC 8489 §9.2.5: a response to an authenticated request must carry a valid integrity.
        if (have_key_ && m->has_message_integrity() && !m->verify_message_integrity(key_))
            return false;
        rtt_ = now - timer_.last_sent();
        on_success(*m);
        return true;
    }
    if (cls != stun::MessageClass::ErrorResponse)
        return false;
    auto error = m->get<stun::ErrorCode>();
    if (!error)
        return false;
    rtt_ = now - timer_.last_sent();
    const uint16_t code = error->code;
    if (code == ec::kUnauthorized || code == ec::kStaleNonce)
        return on_challenge(*m, code, now);
    const std::string reason = text_of(error->reason);
    switch (code) {
    case ec::kForbidden:
        fail(TurnFailure::Forbidden, code, reason);
        break;
    case ec::kAllocationMismatch:
        fail(TurnFailure::AllocationMismatch, code, reason);
        break;
    case ec::kAllocationQuotaReached:
        fail(TurnFailure::AllocationQuota, code, reason);
        break;
    case ec::kInsufficientCapacity:
        fail(TurnFailure::InsufficientCapacity, code, reason);
        break;
    default:
        fail(TurnFailure::ErrorResponse, code, reason);
        break;
    }
    return true;
}

// RFC 8489 §9.2.5: 401 with REALM and NONCE to a request without credentials is the challenge;
// 401 to one with credentials means they are wrong. 438 carries a fresh nonce.
bool TurnClient::on_challenge(const stun::MessageView& m, uint16_t code, TimePoint now) {
    auto realm = m.get<stun::Realm>();
    auto nonce = m.get<stun::Nonce>();
    auto error = m.get<stun::ErrorCode>();
    const std::string reason = error ? text_of(error->reason) : std::string();
    if (!realm || !nonce) {
        fail(code == ec::kUnauthorized ? TurnFailure::WrongCredentials : TurnFailure::ErrorResponse,
             code, reason);
        return true;
    }
    if (!credentials_.expected_realm.empty() && realm->value != credentials_.expected_realm) {
        realm_ = text_of(realm->value);
        fail(TurnFailure::RealmMismatch, code, reason);
        return true;
    }
    if (code == ec::kUnauthorized && have_key_ && realm->value == realm_) {
        fail(TurnFailure::WrongCredentials, code, reason);
        return true;
    }
    if (code == ec::kStaleNonce && ++stale_retries_ > kMaxStaleNonceRetries) {
        fail(TurnFailure::ErrorResponse, code, reason);
        return true;
    }
    if (realm->value != realm_ || !have_key_) {
        auto key =
            stun::long_term_key_md5(credentials_.username, realm->value, credentials_.password);
        if (!key) {
            realm_ = text_of(realm->value);
            fail(TurnFailure::WrongCredentials, code,
                 "the user name or password is not a valid OpaqueString (RFC 8265)");
            return true;
        }
        std::copy(key->begin(), key->end(), key_.begin());
        have_key_ = true;
    }
    realm_ = text_of(realm->value);
    nonce_ = text_of(nonce->value);
    password_algorithms_.clear();
    // RFC 8489 §9.2.1: the nonce cookie "obMatJos2" announces the security features.
    if (auto list = m.find(stun::attr::kPasswordAlgorithms);
        list && nonce_.rfind("obMatJos2", 0) == 0)
        password_algorithms_.assign(list->value.begin(), list->value.end());
    resend(now);
    return true;
}

void TurnClient::on_success(const stun::MessageView& m) {
    active_ = false;
    done_ = true;
    if (spec_.kind == TurnRequestKind::Allocate) {
        // RFC 8656 §7.3: XOR-RELAYED-ADDRESS, LIFETIME, XOR-MAPPED-ADDRESS.
        if (auto relayed = m.get<stun::XorRelayedAddress>())
            relayed_ = relayed->endpoint;
        if (auto mapped = m.get<stun::XorMappedAddress>())
            mapped_ = mapped->endpoint;
        if (auto lifetime = m.get<stun::Lifetime>())
            lifetime_ = lifetime->seconds;
        if (!relayed_)
            fail(TurnFailure::BadResponse, 0, "Allocate success without XOR-RELAYED-ADDRESS");
    } else if (spec_.kind == TurnRequestKind::Refresh) {
        if (auto lifetime = m.get<stun::Lifetime>())
            lifetime_ = lifetime->seconds;
    }
}

} // namespace rtc::probe

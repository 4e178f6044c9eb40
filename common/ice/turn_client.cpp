#include "ice/turn_client.hpp"

#include "crypto/random.hpp"
#include "stun/address_attributes.hpp"
#include "stun/builder.hpp"
#include "stun/credentials.hpp"
#include "stun/rfc8489_attributes.hpp"
#include "stun/turn_attributes.hpp"

#include <algorithm>

namespace rtc::ice {

namespace {

constexpr unsigned kMaxAuthRounds = 3; // 401 then 438s: more means the credentials are wrong
constexpr std::size_t kBufferSize = 1500;

stun::TransactionId new_transaction_id() {
    stun::TransactionId id{};
    crypto::random_bytes(id);
    return id;
}

} // namespace

TurnClient::TurnClient(util::Endpoint server, std::string username, std::string password,
                       std::chrono::milliseconds timeout, bool reliable)
    : server_(server), username_(std::move(username)), password_(std::move(password)),
      timeout_(timeout), reliable_(reliable) {}

void TurnClient::start(TimePoint now) {
    if (state_ != TurnState::Idle)
        return;
    state_ = TurnState::Allocating;
    send_allocate(now, 0);
}

void TurnClient::send_allocate(TimePoint now, unsigned attempts) {
    std::array<uint8_t, kBufferSize> buffer{};
    const auto id = new_transaction_id();
    stun::MessageBuilder b(buffer, stun::Method::Allocate, stun::MessageClass::Request, id);
    b.add(stun::RequestedTransport{stun::RequestedTransport::kUdp}); // RFC 8656 §7.1
    if (authenticated()) {
        b.add(stun::Username{username_});
        b.add(stun::Realm{realm_});
        b.add(stun::Nonce{nonce_});
        b.add_message_integrity(key_);
    }
    b.add_fingerprint();
    if (!b.ok())
        return fail("cannot build an Allocate request (credentials too long?)");
    auto bytes = b.bytes();
    queue(Kind::Allocate, {}, {bytes.begin(), bytes.end()}, id, now, attempts);
}

void TurnClient::send_permission(const util::IpAddress& peer, TimePoint now, unsigned attempts) {
    std::array<uint8_t, kBufferSize> buffer{};
    const auto id = new_transaction_id();
    stun::MessageBuilder b(buffer, stun::Method::CreatePermission, stun::MessageClass::Request, id);
    b.add(stun::XorPeerAddress{{peer, 0}}); // RFC 8656 §9.1: the port is ignored
    b.add(stun::Username{username_});
    b.add(stun::Realm{realm_});
    b.add(stun::Nonce{nonce_});
    b.add_message_integrity(key_);
    b.add_fingerprint();
    if (!b.ok())
        return;
    auto bytes = b.bytes();
    queue(Kind::Permission, peer, {bytes.begin(), bytes.end()}, id, now, attempts);
}

void TurnClient::release() {
    if (state_ != TurnState::Allocated)
        return;
    std::array<uint8_t, kBufferSize> buffer{};
    stun::MessageBuilder b(buffer, stun::Method::Refresh, stun::MessageClass::Request,
                           new_transaction_id());
    b.add(stun::Lifetime{0});
    b.add(stun::Username{username_});
    b.add(stun::Realm{realm_});
    b.add(stun::Nonce{nonce_});
    b.add_message_integrity(key_);
    b.add_fingerprint();
    pending_.clear();
    state_ = TurnState::Idle;
    if (b.ok()) {
        auto bytes = b.bytes();
        outgoing_.emplace_back(bytes.begin(), bytes.end());
    }
}

void TurnClient::queue(Kind kind, const util::IpAddress& peer, std::vector<uint8_t> bytes,
                       const stun::TransactionId& id, TimePoint now, unsigned attempts) {
    Pending p;
    p.kind = kind;
    p.peer = peer;
    p.id = id;
    p.bytes = std::move(bytes);
    p.timer = probe::Retransmitter(probe::policy_for_timeout(timeout_, reliable_), now);
    p.attempts = attempts;
    p.timer.send_due(now);
    outgoing_.push_back(p.bytes);
    pending_.push_back(std::move(p));
}

void TurnClient::permit(const util::IpAddress& peer, TimePoint now) {
    if (state_ != TurnState::Allocated ||
        std::find(asked_.begin(), asked_.end(), peer) != asked_.end())
        return;
    asked_.push_back(peer);
    send_permission(peer, now, 0);
}

bool TurnClient::permitted(const util::IpAddress& peer) const {
    return std::find(permitted_.begin(), permitted_.end(), peer) != permitted_.end();
}

void TurnClient::fail(std::string why) {
    if (state_ == TurnState::Allocated)
        return; // a failed permission does not end the allocation
    state_ = TurnState::Failed;
    error_ = std::move(why);
    pending_.clear();
}

std::optional<TurnClient::Received> TurnClient::on_datagram(std::span<const uint8_t> bytes,
                                                            TimePoint now) {
    auto message = stun::MessageView::parse(bytes);
    if (!message)
        return std::nullopt;
    // RFC 8656 §11.4: a Data indication carries XOR-PEER-ADDRESS and DATA.
    if (message->method() == stun::Method::Data &&
        message->message_class() == stun::MessageClass::Indication) {
        auto peer = message->get<stun::XorPeerAddress>();
        auto data = message->get<stun::Data>();
        if (!peer || !data)
            return std::nullopt;
        return Received{peer->endpoint, data->bytes};
    }
    const auto cls = message->message_class();
    if (cls != stun::MessageClass::SuccessResponse && cls != stun::MessageClass::ErrorResponse)
        return std::nullopt;
    const auto id = message->transaction_id();
    auto it = std::find_if(pending_.begin(), pending_.end(),
                           [&](const Pending& p) { return p.id == id; });
    if (it == pending_.end())
        return std::nullopt;
    // RFC 8489 §9.2.5: once authenticated, responses must carry a valid MESSAGE-INTEGRITY.
    if (authenticated() && message->has_message_integrity() &&
        !message->verify_message_integrity(key_))
        return std::nullopt;
    Pending p = std::move(*it);
    pending_.erase(it);

    if (cls == stun::MessageClass::ErrorResponse) {
        auto error = message->get<stun::ErrorCode>();
        const uint16_t code = error ? error->code : 0;
        // RFC 8489 §9.2.5: 401 carries REALM and NONCE; 438 a fresh NONCE (§9.2.5).
        if ((code == stun::error_code::kUnauthorized || code == stun::error_code::kStaleNonce) &&
            p.attempts + 1 < kMaxAuthRounds) {
            auto realm = message->get<stun::Realm>();
            auto nonce = message->get<stun::Nonce>();
            if (nonce && (realm || authenticated())) {
                if (realm && std::string(realm->value) != realm_) {
                    auto key = stun::long_term_key_md5(username_, realm->value, password_);
                    if (!key) {
                        fail("the TURN credentials cannot be used (not OpaqueString text)");
                        return std::nullopt;
                    }
                    realm_ = std::string(realm->value);
                    key_ = *key;
                }
                nonce_ = std::string(nonce->value);
                if (p.kind == Kind::Allocate)
                    send_allocate(now, p.attempts + 1);
                else
                    send_permission(p.peer, now, p.attempts + 1);
                return std::nullopt;
            }
        }
        std::string why = std::to_string(code) + " " +
                          (error ? std::string(error->reason) : std::string("error"));
        if (p.kind == Kind::Allocate)
            fail("Allocate failed: " + why);
        return std::nullopt;
    }

    if (p.kind == Kind::Allocate) {
        auto relayed = message->get<stun::XorRelayedAddress>();
        if (!relayed) {
            fail("the Allocate answer has no XOR-RELAYED-ADDRESS");
            return std::nullopt;
        }
        relayed_ = relayed->endpoint;
        if (auto mapped = message->get<stun::XorMappedAddress>())
            mapped_ = mapped->endpoint;
        state_ = TurnState::Allocated;
    } else if (!permitted(p.peer)) {
        permitted_.push_back(p.peer);
    }
    return std::nullopt;
}

void TurnClient::on_timer(TimePoint now) {
    bool allocate_expired = false;
    for (auto it = pending_.begin(); it != pending_.end();) {
        if (it->timer.expired(now)) {
            allocate_expired = allocate_expired || it->kind == Kind::Allocate;
            it = pending_.erase(it);
            continue;
        }
        if (it->timer.send_due(now))
            outgoing_.push_back(it->bytes);
        ++it;
    }
    if (allocate_expired)
        fail("no answer from the TURN server");
}

std::optional<TimePoint> TurnClient::next_deadline() const {
    std::optional<TimePoint> next;
    for (const auto& p : pending_)
        if (!next || p.timer.next_deadline() < *next)
            next = p.timer.next_deadline();
    return next;
}

std::vector<uint8_t> TurnClient::send_indication(const util::Endpoint& peer,
                                                 std::span<const uint8_t> data) const {
    std::array<uint8_t, kBufferSize> buffer{};
    stun::MessageBuilder b(buffer, stun::Method::Send, stun::MessageClass::Indication,
                           new_transaction_id());
    b.add(stun::XorPeerAddress{peer});
    b.add(stun::Data{data});
    if (!b.ok())
        return {};
    auto bytes = b.bytes();
    return {bytes.begin(), bytes.end()};
}

std::vector<std::vector<uint8_t>> TurnClient::take_outgoing() {
    std::vector<std::vector<uint8_t>> out;
    out.swap(outgoing_);
    return out;
}

} // namespace rtc::ice

#include "turn/server.hpp"
#include "turn/server_request.hpp"

#include "stun/address_attributes.hpp"
#include "stun/framing.hpp"
#include "stun/rfc8489_attributes.hpp"
#include "stun/turn_attributes.hpp"

#include <algorithm>
#include <stdexcept>

namespace rtc::turn {

namespace {

using stun::MessageBuilder;
using stun::MessageClass;
using stun::MessageView;
using stun::Method;
namespace ec = stun::error_code;

constexpr std::size_t kMaxPeersPerRequest = 16;

std::optional<util::Family> family_of(uint8_t code) {
    if (code == stun::kFamilyIpv4)
        return util::Family::V4;
    if (code == stun::kFamilyIpv6)
        return util::Family::V6;
    return std::nullopt;
}

stun::PasswordAlgorithms offered_algorithms() {
    stun::PasswordAlgorithms list;
    list.add({stun::kPasswordAlgorithmMd5, {}});
    list.add({stun::kPasswordAlgorithmSha256, {}});
    return list;
}

} // namespace

TurnServer::TurnServer(TurnServerConfig config, std::shared_ptr<CredentialStore> credentials,
                       PeerFilter peer_filter, const stun::BindingServer& binding,
                       RelayAllocator& relays)
    : config_(std::move(config)), credentials_(std::move(credentials)),
      peer_filter_(std::move(peer_filter)), binding_(binding), relays_(relays),
      nonces_(config_.nonce_key, config_.nonce_lifetime),
      unauthorized_limiter_(config_.unauthorized_rate), table_(config_.limits, config_.user_quota),
      tcp_(config_.connection_id_shard) {
    if (!credentials_)
        throw std::invalid_argument("the TURN server needs credentials");
    if (config_.default_lifetime.count() <= 0 || config_.max_lifetime < config_.default_lifetime)
        throw std::invalid_argument("lifetimes: 0 < default <= max");
    if (config_.nonce_lifetime.count() <= 0 || config_.permission_lifetime.count() <= 0 ||
        config_.channel_lifetime.count() <= 0)
        throw std::invalid_argument("nonce, permission and channel lifetimes must be positive");
    if (config_.tcp_connect_timeout.count() <= 0 || config_.tcp_bind_timeout.count() <= 0)
        throw std::invalid_argument("TCP connect and bind timeouts must be positive");
    if (!config_.ipv4_relay && !config_.ipv6_relay)
        throw std::invalid_argument("at least one relay address family is needed");
    if (config_.software && !stun::Software::valid(*config_.software))
        throw std::invalid_argument("SOFTWARE must be fewer than 128 characters");
    if (config_.bandwidth_burst_bytes <= 0)
        config_.bandwidth_burst_bytes = config_.bandwidth_bytes_per_second;
}

ClientAction TurnServer::handle_client(std::span<const uint8_t> bytes, const ClientContext& context,
                                       Clock::time_point now,
                                       std::chrono::system_clock::time_point wall,
                                       std::span<uint8_t> out) {
    if (stun::is_channel_data(bytes))
        return handle_channel_data(bytes, context, now);
    auto m = MessageView::parse(bytes);
    if (!m || m->is_classic()) {
        ++counters_.dropped_malformed;
        return {};
    }
    if (m->method() == Method::Binding) {
        stun::BindingRequest request{bytes, context.five_tuple.client, context.five_tuple.server, 0,
                                     context.five_tuple.transport};
        auto outcome = binding_.handle(*m, request, out);
        ClientAction a;
        if (outcome.size > 0) {
            a.kind = ActionKind::SendToClient;
            a.size = outcome.size;
            a.error_code = outcome.error_code;
        } else {
            ++counters_.dropped_unexpected;
        }
        return a;
    }
    if (m->message_class() == MessageClass::Indication && m->method() == Method::Send)
        return handle_send(*m, context, now);
    // RFC 8489 §6.3: stray responses and other indications are discarded. Requests of methods
    // this core does not serve get 400 once authenticated.
    if (!m->is_request()) {
        ++counters_.dropped_unexpected;
        return {};
    }
    ++counters_.requests;
    return handle_request(*m, context, now, wall, out);
}

ClientAction TurnServer::error(Request& r, uint16_t code, bool with_nonce) {
    ++counters_.error_responses;
    MessageBuilder b(r.out, r.m.method(), MessageClass::ErrorResponse, r.m.transaction_id());
    b.add(stun::ErrorCode{code, stun::default_reason(code)});
    if (with_nonce) {
        // RFC 8489 §9.2.3 / §9.2.4: REALM, a fresh NONCE and the algorithms we accept.
        std::array<char, kNonceLength> nonce;
        b.add(stun::Realm{credentials_->realm()});
        b.add(stun::Nonce{nonces_.issue(r.context.five_tuple.client, r.now, nonce)});
        b.add(offered_algorithms());
    }
    if (config_.software)
        b.add(stun::Software{*config_.software});
    auto a = success(r, b);
    a.error_code = code;
    return a;
}

ClientAction TurnServer::success(Request& r, MessageBuilder& b) {
    if (r.key) {
        if (r.integrity_sha256)
            b.add_message_integrity_sha256(r.key->view());
        else
            b.add_message_integrity(r.key->view());
    }
    if (r.m.has_fingerprint())
        b.add_fingerprint();
    ClientAction a;
    if (b.ok()) {
        a.kind = ActionKind::SendToClient;
        a.size = b.size();
    }
    return a;
}

ClientAction TurnServer::handle_request(const MessageView& m, const ClientContext& context,
                                        Clock::time_point now,
                                        std::chrono::system_clock::time_point wall,
                                        std::span<uint8_t> out) {
    Request r{m, context, now, wall, out, nullptr, std::nullopt, false, {}};

    // RFC 8489 §9.2.4 step 1: no integrity -> 401 challenge, costing no state.
    if (!m.has_message_integrity() && !m.has_message_integrity_sha256()) {
        if (!unauthorized_limiter_.allow(context.five_tuple.client.address, now)) {
            ++counters_.challenges_rate_limited;
            return {};
        }
        ++counters_.challenges;
        return error(r, ec::kUnauthorized, true);
    }
    auto realm = m.get<stun::Realm>();
    auto nonce = m.get<stun::Nonce>();
    auto username = m.get<stun::Username>();
    auto userhash = m.get<stun::Userhash>();
    if (!realm || !nonce || (!username && !userhash))
        return error(r, ec::kBadRequest); // §9.2.4 step 2
    auto nonce_status = nonces_.check(nonce->value, context.five_tuple.client, now);
    if (nonce_status != NonceStatus::Valid && m.method() == Method::ConnectionBind) {
        // RFC 6062 §4.4: clients reuse the control connection's nonce on the new data
        // connection, whose port differs: accept a nonce issued to the allocation's client.
        auto id = m.get<stun::ConnectionId>();
        const TcpConnection* c = id ? tcp_.find(id->id) : nullptr;
        const Allocation* owner = c ? table_.find_by_relay(c->relay) : nullptr;
        if (owner)
            nonce_status = nonces_.check(nonce->value, owner->five_tuple.client, now);
    }
    switch (nonce_status) {
    case NonceStatus::Valid:
        break;
    case NonceStatus::Stale:
    case NonceStatus::Invalid:
        ++counters_.stale_nonces;
        return error(r, ec::kStaleNonce, true);
    }
    // RFC 8489 §9.2.4: with the nonce cookie, PASSWORD-ALGORITHM must be one we offered and
    // PASSWORD-ALGORITHMS must repeat our list (downgrade protection).
    uint16_t algorithm = stun::kPasswordAlgorithmMd5;
    if (m.has(stun::attr::kPasswordAlgorithm) || m.has(stun::attr::kPasswordAlgorithms)) {
        auto chosen = m.get<stun::PasswordAlgorithm>();
        auto listed = m.get<stun::PasswordAlgorithms>();
        if (!chosen || !listed || !(*listed == offered_algorithms()) ||
            (chosen->algorithm != stun::kPasswordAlgorithmMd5 &&
             chosen->algorithm != stun::kPasswordAlgorithmSha256))
            return error(r, ec::kBadRequest);
        algorithm = chosen->algorithm;
    }
    std::string_view name;
    if (username) {
        name = username->value;
    } else if (const auto* u = credentials_->find_by_userhash(userhash->hash)) {
        name = u->name; // RFC 8489 §9.2.4: USERHASH identifies the user
    }
    bool authenticated = false;
    if (!name.empty() && realm->value == credentials_->realm()) {
        auto keys = credentials_->lookup(name, algorithm, wall);
        r.integrity_sha256 = m.has_message_integrity_sha256();
        for (const auto& k : keys.list()) {
            bool good = r.integrity_sha256 ? m.verify_message_integrity_sha256(k.view())
                                           : m.verify_message_integrity(k.view());
            if (good) {
                r.key = k;
                authenticated = true;
                break;
            }
        }
    }
    if (!authenticated) {
        ++counters_.auth_failures;
        if (!unauthorized_limiter_.allow(context.five_tuple.client.address, now)) {
            ++counters_.challenges_rate_limited;
            return {};
        }
        return error(r, ec::kUnauthorized, true);
    }
    r.username = name;

    // RFC 8489 §6.3.1: unknown comprehension-required attributes.
    std::array<uint16_t, stun::UnknownAttributes::kMaxTypes> unknown;
    if (auto n = m.unknown_comprehension_required(unknown); n > 0) {
        ++counters_.error_responses;
        MessageBuilder b(out, m.method(), MessageClass::ErrorResponse, m.transaction_id());
        b.add(stun::ErrorCode{ec::kUnknownAttribute, stun::default_reason(ec::kUnknownAttribute)});
        stun::UnknownAttributes ua;
        for (std::size_t i = 0; i < n; ++i)
            ua.add(unknown[i]);
        b.add(ua);
        auto a = success(r, b);
        a.error_code = ec::kUnknownAttribute;
        return a;
    }

    r.allocation = table_.find(context.five_tuple);
    // RFC 8656 §5: later requests must come from the user that made the allocation.
    if (r.allocation && r.allocation->username != name)
        return error(r, ec::kWrongCredentials);

    switch (m.method()) {
    case Method::Allocate:
        return allocate(r);
    case Method::Refresh:
        return refresh(r);
    case Method::CreatePermission:
        return create_permission(r);
    case Method::ChannelBind:
        return channel_bind(r);
    case Method::Connect:
        return connect(r);
    case Method::ConnectionBind:
        return connection_bind(r);
    default:
        return error(r, ec::kBadRequest);
    }
}

ClientAction TurnServer::allocate(Request& r) {
    const auto& m = r.m;
    if (r.allocation) {
        // RFC 8656 §7.2 step 2: a retransmission gets the same answer; anything else is 437.
        if (r.allocation->allocate_transaction != m.transaction_id())
            return error(r, ec::kAllocationMismatch);
    } else {
        auto transport = m.get<stun::RequestedTransport>();
        if (!transport)
            return error(r, ec::kBadRequest);
        bool tcp = transport->protocol == stun::RequestedTransport::kTcp && config_.tcp_relay;
        if (transport->protocol != stun::RequestedTransport::kUdp && !tcp)
            return error(r, ec::kUnsupportedTransportProtocol);
        // RFC 6062 §5.1: TCP relays only for clients over TCP/TLS, and without the UDP-only
        // attributes.
        if (tcp && (r.context.five_tuple.transport == stun::Transport::Udp ||
                    r.context.five_tuple.transport == stun::Transport::Dtls ||
                    m.has(stun::attr::kDontFragment) || m.has(stun::attr::kEvenPort) ||
                    m.has(stun::attr::kReservationToken)))
            return error(r, ec::kBadRequest);
        auto token = m.get<stun::ReservationToken>();
        auto even = m.get<stun::EvenPort>();
        auto requested = m.get<stun::RequestedAddressFamily>();
        auto additional = m.get<stun::AdditionalAddressFamily>();
        if ((m.has(stun::attr::kReservationToken) && !token) ||
            (m.has(stun::attr::kEvenPort) && !even) ||
            (m.has(stun::attr::kRequestedAddressFamily) && !requested) ||
            (m.has(stun::attr::kAdditionalAddressFamily) && !additional))
            return error(r, ec::kBadRequest);
        // RFC 8656 §7.2 steps 4-6.
        if (token && (even || requested || additional))
            return error(r, ec::kBadRequest);
        if (requested && additional)
            return error(r, ec::kBadRequest);
        if (additional && additional->family != stun::kFamilyIpv6)
            return error(r, ec::kBadRequest);
        util::Family family = util::Family::V4;
        if (requested) {
            auto f = family_of(requested->family);
            if (!f)
                return error(r, ec::kAddressFamilyNotSupported);
            family = *f;
        }
        bool family_ok = family == util::Family::V4 ? config_.ipv4_relay : config_.ipv6_relay;
        if (!family_ok && !token)
            return error(r, ec::kAddressFamilyNotSupported);
        if (table_.full()) {
            ++counters_.quota_rejections;
            return error(r, ec::kInsufficientCapacity);
        }
        const std::string username(r.username);
        if (!table_.try_reserve_user(username)) {
            ++counters_.quota_rejections;
            return error(r, ec::kAllocationQuotaReached);
        }
        RelayRequest rq{family, even.has_value(), even && even->reserve, std::nullopt,
                        transport->protocol};
        if (token)
            rq.reservation_token = token->token;
        auto grant = relays_.allocate(rq);
        if (!grant) {
            table_.unreserve_user(username);
            return error(r, ec::kInsufficientCapacity);
        }

        Allocation a;
        a.five_tuple = r.context.five_tuple;
        a.relays[0] = grant->relay;
        a.relay_count = 1;
        bool additional_failed = false;
        if (additional) {
            std::optional<RelayGrant> second;
            if (config_.ipv6_relay)
                second = relays_.allocate(
                    {util::Family::V6, false, false, std::nullopt, transport->protocol});
            if (second)
                a.relays[a.relay_count++] = second->relay;
            else
                additional_failed = true;
        }
        a.protocol = transport->protocol;
        a.dont_fragment = m.has(stun::attr::kDontFragment);
        a.allocate_transaction = m.transaction_id();
        a.username = username;
        a.key = *r.key;
        auto lifetime = config_.default_lifetime;
        if (auto l = m.get<stun::Lifetime>())
            lifetime = std::clamp(std::chrono::seconds(l->seconds), config_.default_lifetime,
                                  config_.max_lifetime);
        a.expiry = r.now + lifetime;
        r.allocation = &table_.insert(std::move(a));
        r.allocation->bandwidth.tokens = config_.bandwidth_burst_bytes;
        r.allocation->bandwidth.last = r.now;
        ++counters_.allocations_created;
        MessageBuilder b(r.out, Method::Allocate, MessageClass::SuccessResponse,
                         m.transaction_id());
        for (std::size_t i = 0; i < r.allocation->relay_count; ++i)
            b.add(stun::XorRelayedAddress{r.allocation->relays[i].address});
        if (additional_failed) // RFC 8656 §7.2: the IPv6 half could not be allocated
            b.add(stun::AddressErrorCode{stun::kFamilyIpv6, ec::kAddressFamilyNotSupported,
                                         stun::default_reason(ec::kAddressFamilyNotSupported)});
        b.add(stun::Lifetime{static_cast<uint32_t>(lifetime.count())});
        if (grant->reservation_token)
            b.add(stun::ReservationToken{*grant->reservation_token});
        b.add(stun::XorMappedAddress{r.context.five_tuple.client});
        if (config_.software)
            b.add(stun::Software{*config_.software});
        return success(r, b);
    }
    // Retransmission: rebuild the success response from the allocation.
    auto& a = *r.allocation;
    MessageBuilder b(r.out, Method::Allocate, MessageClass::SuccessResponse, m.transaction_id());
    for (std::size_t i = 0; i < a.relay_count; ++i)
        b.add(stun::XorRelayedAddress{a.relays[i].address});
    auto remaining = std::chrono::duration_cast<std::chrono::seconds>(a.expiry - r.now);
    b.add(stun::Lifetime{static_cast<uint32_t>(std::max<int64_t>(0, remaining.count()))});
    b.add(stun::XorMappedAddress{r.context.five_tuple.client});
    return success(r, b);
}

ClientAction TurnServer::refresh(Request& r) {
    if (!r.allocation)
        return error(r, ec::kAllocationMismatch); // RFC 8656 §8
    auto requested = r.m.get<stun::RequestedAddressFamily>();
    if (r.m.has(stun::attr::kRequestedAddressFamily)) {
        auto f = requested ? family_of(requested->family) : std::nullopt;
        if (!f || !r.allocation->relay_for(*f))
            return error(r, ec::kPeerAddressFamilyMismatch);
    }
    auto lifetime = config_.default_lifetime;
    if (auto l = r.m.get<stun::Lifetime>()) {
        lifetime = l->seconds == 0 ? std::chrono::seconds(0)
                                   : std::clamp(std::chrono::seconds(l->seconds),
                                                config_.default_lifetime, config_.max_lifetime);
    }
    if (lifetime.count() == 0) {
        released_.clear();
        table_.erase(r.context.five_tuple, released_);
        release(released_);
        r.allocation = nullptr;
        ++counters_.allocations_deleted;
    } else {
        r.allocation->expiry = r.now + lifetime;
        table_.note_deadline(r.allocation->expiry);
    }
    MessageBuilder b(r.out, Method::Refresh, MessageClass::SuccessResponse, r.m.transaction_id());
    b.add(stun::Lifetime{static_cast<uint32_t>(lifetime.count())});
    return success(r, b);
}

ClientAction TurnServer::create_permission(Request& r) {
    if (!r.allocation)
        return error(r, ec::kAllocationMismatch);
    std::array<util::IpAddress, kMaxPeersPerRequest> peers;
    std::size_t count = 0;
    for (auto attribute : r.m) {
        if (attribute.type != stun::attr::kXorPeerAddress)
            continue;
        auto peer = stun::XorPeerAddress::parse(attribute.value, r.m.transaction_id());
        if (!peer || count == peers.size())
            return error(r, ec::kBadRequest);
        peers[count++] = peer->endpoint.address;
    }
    if (count == 0)
        return error(r, ec::kBadRequest); // RFC 8656 §10.2
    for (std::size_t i = 0; i < count; ++i) {
        if (!r.allocation->relay_for(peers[i].family()))
            return error(r, ec::kPeerAddressFamilyMismatch);
        if (!peer_filter_.allowed(peers[i])) {
            ++counters_.forbidden_peers;
            return error(r, ec::kForbidden);
        }
    }
    // All or nothing: check the quota before installing any.
    std::size_t fresh = 0;
    for (std::size_t i = 0; i < count; ++i) {
        bool known = std::any_of(r.allocation->permissions.begin(), r.allocation->permissions.end(),
                                 [&](const Permission& p) { return p.peer == peers[i]; });
        fresh += known ? 0 : 1;
    }
    if (r.allocation->permissions.size() + fresh > table_.limits().max_permissions_per_allocation) {
        ++counters_.quota_rejections;
        return error(r, ec::kInsufficientCapacity);
    }
    for (std::size_t i = 0; i < count; ++i)
        table_.permit(*r.allocation, peers[i], r.now + config_.permission_lifetime);
    counters_.permissions_created += fresh;
    MessageBuilder b(r.out, Method::CreatePermission, MessageClass::SuccessResponse,
                     r.m.transaction_id());
    return success(r, b);
}

ClientAction TurnServer::channel_bind(Request& r) {
    if (!r.allocation)
        return error(r, ec::kAllocationMismatch);
    auto number = r.m.get<stun::ChannelNumber>();
    auto peer = r.m.get<stun::XorPeerAddress>();
    if (!number || !peer || !stun::ChannelNumber::in_range(number->number))
        return error(r, ec::kBadRequest); // RFC 8656 §11.2
    auto& a = *r.allocation;
    if (a.protocol == stun::RequestedTransport::kTcp)
        return error(r, ec::kBadRequest); // RFC 6062 §5: no channels on TCP allocations
    if (!a.relay_for(peer->endpoint.address.family()))
        return error(r, ec::kPeerAddressFamilyMismatch);
    if (!peer_filter_.allowed(peer->endpoint.address)) {
        ++counters_.forbidden_peers;
        return error(r, ec::kForbidden);
    }
    switch (table_.can_bind(a, number->number, peer->endpoint, r.now)) {
    case InstallResult::Ok:
        break;
    case InstallResult::Conflict:
        return error(r, ec::kBadRequest);
    case InstallResult::QuotaExceeded:
        ++counters_.quota_rejections;
        return error(r, ec::kInsufficientCapacity);
    }
    if (!a.permitted(peer->endpoint.address, r.now) &&
        std::none_of(a.permissions.begin(), a.permissions.end(),
                     [&](const Permission& p) { return p.peer == peer->endpoint.address; }) &&
        a.permissions.size() >= table_.limits().max_permissions_per_allocation) {
        ++counters_.quota_rejections;
        return error(r, ec::kInsufficientCapacity);
    }
    bool fresh = a.channel_by_number(number->number, r.now) == nullptr;
    table_.bind(a, number->number, peer->endpoint, r.now + config_.channel_lifetime,
                std::chrono::seconds(300));
    // RFC 8656 §11.2: binding a channel also installs or refreshes the permission.
    table_.permit(a, peer->endpoint.address, r.now + config_.permission_lifetime);
    counters_.channels_bound += fresh ? 1 : 0;
    MessageBuilder b(r.out, Method::ChannelBind, MessageClass::SuccessResponse,
                     r.m.transaction_id());
    return success(r, b);
}

bool TurnServer::bandwidth_ok(Allocation& a, std::size_t bytes, Clock::time_point now) {
    if (config_.bandwidth_bytes_per_second <= 0)
        return true;
    if (a.bandwidth.take(bytes, config_.bandwidth_bytes_per_second, config_.bandwidth_burst_bytes,
                         now))
        return true;
    ++counters_.dropped_bandwidth;
    return false;
}

ClientAction TurnServer::handle_send(const MessageView& m, const ClientContext& context,
                                     Clock::time_point now) {
    // RFC 8656 §11.2: drop silently unless there is an allocation and a permission.
    auto* a = table_.find(context.five_tuple);
    auto peer = m.get<stun::XorPeerAddress>();
    auto data = m.get<stun::Data>();
    if (!a || !peer || !data || a->expiry <= now || a->protocol != stun::RequestedTransport::kUdp) {
        ++counters_.dropped_unexpected;
        return {};
    }
    const Relay* relay = a->relay_for(peer->endpoint.address.family());
    if (!relay || !a->permitted(peer->endpoint.address, now)) {
        ++counters_.dropped_no_permission;
        return {};
    }
    if (!bandwidth_ok(*a, data->bytes.size(), now))
        return {};
    ++counters_.packets_to_peer;
    counters_.bytes_to_peer += data->bytes.size();
    ClientAction action;
    action.kind = ActionKind::SendToPeer;
    action.relay = relay->id;
    action.peer = peer->endpoint;
    action.payload = data->bytes;
    action.dont_fragment = m.has(stun::attr::kDontFragment);
    return action;
}

ClientAction TurnServer::handle_channel_data(std::span<const uint8_t> bytes,
                                             const ClientContext& context, Clock::time_point now) {
    // RFC 8656 §12.4-§12.6.
    if (bytes.size() < stun::kChannelDataHeaderSize) {
        ++counters_.dropped_malformed;
        return {};
    }
    uint16_t number = util::load_u16(bytes.data());
    std::size_t length = util::load_u16(bytes.data() + 2);
    if (length > bytes.size() - stun::kChannelDataHeaderSize ||
        !stun::ChannelNumber::in_range(number)) {
        ++counters_.dropped_malformed;
        return {};
    }
    auto* a = table_.find(context.five_tuple);
    const Channel* channel = a && a->expiry > now && a->protocol == stun::RequestedTransport::kUdp
                                 ? a->channel_by_number(number, now)
                                 : nullptr;
    const Relay* relay = channel ? a->relay_for(channel->peer.address.family()) : nullptr;
    if (!relay || !a->permitted(channel->peer.address, now)) {
        ++counters_.dropped_no_permission;
        return {};
    }
    if (!bandwidth_ok(*a, length, now))
        return {};
    ++counters_.packets_to_peer;
    counters_.bytes_to_peer += length;
    ClientAction action;
    action.kind = ActionKind::SendToPeer;
    action.relay = relay->id;
    action.peer = channel->peer;
    action.payload = bytes.subspan(stun::kChannelDataHeaderSize, length);
    action.dont_fragment = a->dont_fragment;
    return action;
}

PeerAction TurnServer::handle_peer(RelayId relay, const util::Endpoint& peer,
                                   std::span<const uint8_t> bytes, Clock::time_point now,
                                   std::span<uint8_t> out) {
    auto* a = table_.find_by_relay(relay);
    if (!a || a->expiry <= now || a->protocol != stun::RequestedTransport::kUdp ||
        !a->permitted(peer.address, now)) {
        ++counters_.dropped_no_permission; // RFC 8656 §11.3
        return {};
    }
    if (!bandwidth_ok(*a, bytes.size(), now))
        return {};
    PeerAction action;
    action.five_tuple = a->five_tuple;
    if (const Channel* c = a->channel_by_peer(peer, now)) {
        // RFC 8656 §12.5: ChannelData; padded to 4 bytes over streams.
        std::size_t size = stun::kChannelDataHeaderSize + bytes.size();
        std::size_t padded = a->five_tuple.transport == stun::Transport::Udp ||
                                     a->five_tuple.transport == stun::Transport::Dtls
                                 ? size
                                 : (size + 3) & ~std::size_t{3};
        if (bytes.size() > 0xFFFF || out.size() < padded) {
            ++counters_.dropped_malformed;
            return {};
        }
        util::store_u16(out.data(), c->number);
        util::store_u16(out.data() + 2, static_cast<uint16_t>(bytes.size()));
        if (!bytes.empty())
            std::copy(bytes.begin(), bytes.end(), out.begin() + stun::kChannelDataHeaderSize);
        std::fill(out.begin() + static_cast<std::ptrdiff_t>(size),
                  out.begin() + static_cast<std::ptrdiff_t>(padded), uint8_t{0});
        action.size = padded;
    } else {
        // RFC 8656 §11.3: a Data indication. Indications need no unpredictable id: a counter.
        MessageBuilder b(out, Method::Data, MessageClass::Indication, next_indication_id());
        b.add(stun::XorPeerAddress{peer});
        b.add(stun::Data{bytes});
        if (!b.ok()) {
            ++counters_.dropped_malformed;
            return {};
        }
        action.size = b.size();
    }
    action.kind = ActionKind::SendToClient;
    ++counters_.packets_to_client;
    counters_.bytes_to_client += bytes.size();
    return action;
}

stun::TransactionId TurnServer::next_indication_id() {
    stun::TransactionId id{};
    uint64_t n = ++indications_sent_;
    for (std::size_t i = 0; i < 8; ++i)
        id[11 - i] = static_cast<uint8_t>(n >> (8 * i));
    return id;
}

void TurnServer::release(std::vector<RelayId>& released) {
    closed_connections_.clear();
    for (RelayId id : released) {
        tcp_.erase_relay(id, closed_connections_); // RFC 6062: they go with the allocation
        relays_.release(id);
    }
    released.clear();
    close_connections(closed_connections_);
}

void TurnServer::close_connections(std::vector<ConnectionId>& closed) {
    for (ConnectionId id : closed)
        relays_.close_connection(id);
    closed.clear();
}

void TurnServer::on_timer(Clock::time_point now) {
    released_.clear();
    std::size_t before = table_.size();
    table_.on_timer(now, released_);
    counters_.allocations_expired += before - table_.size();
    release(released_);
    closed_connections_.clear();
    std::size_t pending = timed_out_.size();
    tcp_.on_timer(now, timed_out_, closed_connections_);
    counters_.tcp_bind_timeouts += closed_connections_.size();
    // Abandon the timed-out connect attempts; their 447s wait for take_timer_response.
    for (std::size_t i = pending; i < timed_out_.size(); ++i)
        closed_connections_.push_back(timed_out_[i]);
    close_connections(closed_connections_);
}

std::optional<Clock::time_point> TurnServer::next_deadline() const {
    auto a = table_.next_deadline();
    auto b = tcp_.next_deadline();
    if (!a)
        return b;
    if (!b)
        return a;
    return std::min(*a, *b);
}

} // namespace rtc::turn

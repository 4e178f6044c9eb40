#include "relay_allocator.hpp"

#include "crypto/random.hpp"
#include "stun/turn_attributes.hpp"

#include <unistd.h>

namespace rtc::turn_tool {

bool SharedUserQuota::try_acquire(std::string_view username, std::size_t limit) {
    std::lock_guard lock(mutex_); // once per Allocate, never per packet
    auto& held = held_[std::string(username)];
    if (held >= limit)
        return false;
    ++held;
    return true;
}

void SharedUserQuota::release(std::string_view username) {
    std::lock_guard lock(mutex_);
    auto it = held_.find(std::string(username));
    if (it != held_.end() && --it->second == 0)
        held_.erase(it);
}

namespace {
constexpr std::chrono::seconds kReservationLifetime{30}; // RFC 8656 §14.9
constexpr int kReserveTries = 16;                        // even ports tried for a free port + 1
constexpr std::size_t kMaxReservations = 1024;
} // namespace

RelayAllocator::RelayAllocator(net::RelaySockets& sockets, TcpRelays& tcp,
                               const RelayAddresses& addresses, SharedQuota& quota,
                               CloseConnection close_connection)
    : sockets_(sockets), tcp_(tcp), addresses_(addresses), quota_(quota),
      close_connection_(std::move(close_connection)) {}

RelayAllocator::~RelayAllocator() = default;

SharedQuota::~SharedQuota() {
    for (auto& [token, r] : reservations)
        ::close(r.fd);
}

bool RelayAllocator::take_quota() {
    if (quota_.relays.fetch_add(1, std::memory_order_relaxed) >= quota_.max_relays) {
        give_quota();
        return false;
    }
    return true;
}

std::optional<turn::RelayGrant> RelayAllocator::grant(turn::RelayId id,
                                                      const util::Endpoint& local) {
    const auto& advertised = local.address.family() == util::Family::V4 ? addresses_.v4_advertised
                                                                        : addresses_.v6_advertised;
    turn::RelayGrant g;
    g.relay.id = id;
    g.relay.address = {advertised ? *advertised : local.address, local.port};
    return g;
}

std::optional<turn::RelayGrant> RelayAllocator::allocate_tcp(const util::IpAddress& bind_ip) {
    // RFC 6062 §5.1: the relayed transport address is a listening TCP socket.
    std::error_code ec;
    auto listener = tcp_.listen(bind_ip, ec);
    if (!listener) {
        give_quota();
        return std::nullopt;
    }
    return grant(listener->id, listener->local);
}

std::optional<turn::RelayGrant> RelayAllocator::allocate(const turn::RelayRequest& request) {
    auto now = std::chrono::steady_clock::now();
    expire_reservations(now);
    if (request.reservation_token) {
        int fd = -1;
        {
            std::lock_guard lock(quota_.mutex);
            auto it = quota_.reservations.find(*request.reservation_token);
            if (it == quota_.reservations.end())
                return std::nullopt; // unknown or expired token: 508 (RFC 8656 §7.2 step 8)
            fd = it->second.fd;
            quota_.reservations.erase(it);
        }
        std::error_code ec;
        auto bound = sockets_.adopt(fd, ec); // the quota was taken when it was reserved
        if (!bound) {
            give_quota();
            return std::nullopt;
        }
        return grant(bound->id, bound->local);
    }
    const auto& bind_ip =
        request.family == util::Family::V4 ? addresses_.v4_bind : addresses_.v6_bind;
    if (!bind_ip || !take_quota())
        return std::nullopt;
    if (request.protocol == stun::RequestedTransport::kTcp)
        return allocate_tcp(*bind_ip);
    std::error_code ec;
    if (!request.reserve_next) {
        auto bound = sockets_.open(*bind_ip, request.even_port, ec);
        if (!bound) {
            give_quota();
            return std::nullopt;
        }
        return grant(bound->id, bound->local);
    }
    // EVEN-PORT with R: an even port and port + 1 held for a later Allocate.
    {
        std::lock_guard lock(quota_.mutex);
        if (quota_.reservations.size() >= kMaxReservations) {
            give_quota();
            return std::nullopt;
        }
    }
    if (!take_quota()) {
        give_quota();
        return std::nullopt;
    }
    for (int attempt = 0; attempt < kReserveTries; ++attempt) {
        auto bound = sockets_.open(*bind_ip, true, ec);
        if (!bound)
            break;
        if (bound->local.port == 65535) {
            sockets_.close(bound->id);
            continue;
        }
        auto next =
            sockets_.open_at({*bind_ip, static_cast<uint16_t>(bound->local.port + 1)}, false, ec);
        if (!next) {
            sockets_.close(bound->id);
            continue;
        }
        uint64_t token = crypto::random_u64();
        {
            std::lock_guard lock(quota_.mutex);
            quota_.reservations[token] = {sockets_.release_fd(next->id),
                                          now + kReservationLifetime};
        }
        auto g = grant(bound->id, bound->local);
        g->reservation_token = token;
        return g;
    }
    give_quota();
    give_quota();
    return std::nullopt;
}

void RelayAllocator::release(turn::RelayId id) {
    if (TcpRelays::is_tcp_relay(id))
        tcp_.close_listener(id);
    else
        sockets_.close(id);
    give_quota();
}

void RelayAllocator::expire_reservations(std::chrono::steady_clock::time_point now) {
    std::lock_guard lock(quota_.mutex);
    for (auto it = quota_.reservations.begin(); it != quota_.reservations.end();) {
        if (it->second.expiry <= now) {
            ::close(it->second.fd);
            give_quota();
            it = quota_.reservations.erase(it);
        } else {
            ++it;
        }
    }
}

} // namespace rtc::turn_tool

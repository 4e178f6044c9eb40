#pragma once
// TURN allocations (RFC 8656 §2.2, §6), keyed by five-tuple, with their permissions (§9) and
// channel bindings (§12). Sans-I/O: time is passed in; on_timer(now) removes what expired and
// reports the relays whose sockets the shell must close.
//
// Memory: an allocation is one hash node (~300 bytes) plus a relay-index node; permissions and
// channels live in small vectors bounded by the configured limits, allocated only when used.
// With 3 permissions and 2 channels that is ~580 heap bytes per allocation
// (tests/bench/turn_memory).
// The per-packet lookups are hash lookups (five-tuple, relay id) followed by a scan of those
// short vectors, which beats a hash for the handful of peers a WebRTC client has.
#include "stun/binding_server.hpp"
#include "stun/message.hpp"
#include "turn/credentials.hpp"
#include "util/ip_address.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace rtc::turn {

using Clock = std::chrono::steady_clock;
using RelayId = uint32_t;

// RFC 8656 §2.2: client address, server address and transport identify an allocation.
struct FiveTuple {
    util::Endpoint client;
    util::Endpoint server;
    stun::Transport transport = stun::Transport::Udp;
    bool operator==(const FiveTuple&) const = default;
};

struct FiveTupleHash {
    std::size_t operator()(const FiveTuple& t) const noexcept {
        std::size_t h = std::hash<util::Endpoint>{}(t.client);
        h = h * 1099511628211u ^ std::hash<util::Endpoint>{}(t.server);
        return h * 31u + static_cast<std::size_t>(t.transport);
    }
};

struct Relay {
    RelayId id = 0;
    util::Endpoint address; // XOR-RELAYED-ADDRESS
};

struct Permission {
    util::IpAddress peer; // RFC 8656 §9: by IP address only, ports are ignored
    Clock::time_point expiry;
};

struct Channel {
    uint16_t number = 0;
    bool counted = false; // in AllocationTable::channel_count(): bound, not yet seen expired
    util::Endpoint peer;
    Clock::time_point expiry;
    // RFC 8656 §12: after expiry neither the number nor the peer may be rebound to anything else
    // for 5 more minutes.
    Clock::time_point reserved_until;
};

// Per-allocation bandwidth limit: a token bucket in bytes.
struct TokenBucket {
    double tokens = 0;
    Clock::time_point last{};
    // Takes `bytes` if available after refilling at `rate` bytes/s up to `burst`.
    bool take(std::size_t bytes, double rate, double burst, Clock::time_point now);
};

struct Allocation {
    FiveTuple five_tuple;
    std::array<Relay, 2> relays{}; // one per family (RFC 8656 §7.2 dual allocation)
    uint8_t relay_count = 0;
    uint8_t protocol = 17; // REQUESTED-TRANSPORT (17 UDP, 6 TCP)
    bool dont_fragment = false;
    Clock::time_point expiry;
    stun::TransactionId allocate_transaction{}; // to answer retransmitted Allocates (§7.2)
    std::string username;
    LongTermKey key; // the key the allocation authenticated with
    std::vector<Permission> permissions;
    std::vector<Channel> channels;
    TokenBucket bandwidth;

    const Relay* relay_for(util::Family family) const;
    bool has_relay(RelayId id) const;
    // An unexpired permission for this peer IP.
    bool permitted(const util::IpAddress& peer, Clock::time_point now) const;
    const Channel* channel_by_number(uint16_t number, Clock::time_point now) const;
    const Channel* channel_by_peer(const util::Endpoint& peer, Clock::time_point now) const;
};

struct AllocationLimits {
    std::size_t max_allocations = 100000;
    std::size_t max_allocations_per_user = 20;
    std::size_t max_permissions_per_allocation = 64;
    std::size_t max_channels_per_allocation = 64;
    std::size_t max_connections_per_allocation = 64; // RFC 6062 peer data connections
};

enum class InstallResult : uint8_t { Ok, QuotaExceeded, Conflict };

// Allocations per user across every worker's table (RFC 8656 §7.2: 486 beyond the quota). The
// shell shares one thread-safe implementation between its workers; without one, each table
// counts on its own.
class UserQuota {
public:
    virtual ~UserQuota() = default;
    // Takes a slot for `username` unless it already holds `limit`; false when full.
    virtual bool try_acquire(std::string_view username, std::size_t limit) = 0;
    virtual void release(std::string_view username) = 0;
};

class AllocationTable {
public:
    // `quota` (optional, not owned) must outlive the table.
    explicit AllocationTable(AllocationLimits limits = {}, UserQuota* quota = nullptr)
        : limits_(limits), quota_(quota) {}

    Allocation* find(const FiveTuple& tuple);
    const Allocation* find(const FiveTuple& tuple) const;
    Allocation* find_by_relay(RelayId id);

    // Quotas for a new allocation: total (508) and per user (486).
    bool full() const { return by_tuple_.size() >= limits_.max_allocations; }
    bool user_full(const std::string& username) const;

    // Takes one of the user's allocation slots (per user, 486) before an Allocate goes on; give
    // it back with unreserve_user() if the Allocate fails before insert().
    bool try_reserve_user(const std::string& username);
    void unreserve_user(const std::string& username);

    // Inserts; the caller has checked find() and full(), and reserved the user's slot.
    Allocation& insert(Allocation allocation);
    // Removes the allocation and reports its relays (to release them).
    void erase(const FiveTuple& tuple, std::vector<RelayId>& released);

    // RFC 8656 §9: installs or refreshes a permission for 300 s.
    InstallResult permit(Allocation& a, const util::IpAddress& peer, Clock::time_point expiry);
    // RFC 8656 §12: binds or refreshes a channel. Conflict when the number is bound (or still
    // reserved) to another peer, or the peer to another number.
    InstallResult bind(Allocation& a, uint16_t number, const util::Endpoint& peer,
                       Clock::time_point expiry, Clock::duration reservation);
    // Whether bind() would succeed, without changing anything.
    InstallResult can_bind(const Allocation& a, uint16_t number, const util::Endpoint& peer,
                           Clock::time_point now) const;

    // Removes expired allocations (reporting their relays), permissions and channels.
    void on_timer(Clock::time_point now, std::vector<RelayId>& released);
    // The earliest time on_timer has work (may be early, never late); nullopt when empty.
    std::optional<Clock::time_point> next_deadline() const;
    void note_deadline(Clock::time_point t);

    std::size_t size() const { return by_tuple_.size(); }
    // Live gauges: permissions installed and channels bound, over every allocation. Expired
    // ones stop counting when on_timer() removes them (or, for channels, marks them expired).
    std::size_t permission_count() const { return permissions_; }
    std::size_t channel_count() const { return channels_; }
    const AllocationLimits& limits() const { return limits_; }

private:
    AllocationLimits limits_;
    std::unordered_map<FiveTuple, Allocation, FiveTupleHash> by_tuple_;
    std::unordered_map<RelayId, Allocation*> by_relay_;
    std::unordered_map<std::string, uint32_t> per_user_; // when no shared quota is given
    UserQuota* quota_ = nullptr;
    std::optional<Clock::time_point> deadline_;
    std::size_t permissions_ = 0;
    std::size_t channels_ = 0;

    void uncount(const Allocation& a);
};

} // namespace rtc::turn

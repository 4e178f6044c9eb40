#pragma once
// The TURN core's RelayAllocator on one worker thread: relay sockets from net::RelaySockets at
// the relay address, advertised with --external-ip, under a server-wide allocation quota shared
// by the threads through an atomic. EVEN-PORT with R reserves port + 1 for 30 s under a
// RESERVATION-TOKEN (RFC 8656 §14.6, §14.9); tokens are
// shared by the threads. RFC 6062 TCP allocations get a listening socket from TcpRelays.
#include "tcp_relay.hpp"
#include "turn_options.hpp"

#include "net/relay_socket.hpp"
#include "turn/server.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <unordered_map>

namespace rtc::turn_tool {

// Shared by every worker: the server-wide relay count (--max-allocations), and the ports held
// for RESERVATION-TOKENs, which the second Allocate may bring to any thread (its five-tuple
// differs, so SO_REUSEPORT may pick another one).
// Allocations per user across every worker thread (--max-allocations-per-user, RFC 8656 §7.2).
class SharedUserQuota : public turn::UserQuota {
public:
    bool try_acquire(std::string_view username, std::size_t limit) override;
    void release(std::string_view username) override;

private:
    std::mutex mutex_;
    std::unordered_map<std::string, std::size_t> held_; // under mutex_
};

struct SharedQuota {
    SharedUserQuota users;
    struct Reservation {
        int fd = -1; // bound, not read
        std::chrono::steady_clock::time_point expiry;
    };
    std::atomic<std::size_t> relays{0};
    std::size_t max_relays = 0;
    std::mutex mutex;
    std::unordered_map<uint64_t, Reservation> reservations; // under mutex
    ~SharedQuota();
};

class RelayAllocator : public turn::RelayAllocator {
public:
    using CloseConnection = std::function<void(turn::ConnectionId id)>;
    RelayAllocator(net::RelaySockets& sockets, TcpRelays& tcp, const RelayAddresses& addresses,
                   SharedQuota& quota, CloseConnection close_connection);
    ~RelayAllocator() override;

    std::optional<turn::RelayGrant> allocate(const turn::RelayRequest& request) override;
    void release(turn::RelayId id) override;
    void close_connection(turn::ConnectionId id) override { close_connection_(id); }
    // Closes reservations older than 30 s (RFC 8656 §14.9).
    void expire_reservations(std::chrono::steady_clock::time_point now);

private:
    bool take_quota();
    void give_quota() { quota_.relays.fetch_sub(1, std::memory_order_relaxed); }
    std::optional<turn::RelayGrant> grant(turn::RelayId id, const util::Endpoint& local);
    std::optional<turn::RelayGrant> allocate_tcp(const util::IpAddress& bind_ip);

    net::RelaySockets& sockets_;
    TcpRelays& tcp_;
    RelayAddresses addresses_;
    SharedQuota& quota_;
    CloseConnection close_connection_;
};

} // namespace rtc::turn_tool

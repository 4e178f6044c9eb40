#pragma once
// The TURN client steps an ICE agent needs (RFC 8656 over UDP or TCP): an Allocate with long-term
// credentials (the 401 challenge, 438 stale nonce), CreatePermission per peer address, and Send
// and Data indications to carry connectivity checks through the relay. Sans-I/O: datagrams for
// the server are queued and taken with take_outgoing(). No ChannelBind and no Refresh: an agent
// run lasts seconds and the default allocation lifetime is ten minutes.
#include "probe/transaction.hpp"
#include "stun/message.hpp"
#include "util/ip_address.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace rtc::ice {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

enum class TurnState : uint8_t { Idle, Allocating, Allocated, Failed };

class TurnClient {
public:
    // `reliable`: over TCP, requests are sent once and not retransmitted (RFC 8489 §6.2.2).
    TurnClient(util::Endpoint server, std::string username, std::string password,
               std::chrono::milliseconds timeout, bool reliable = false);

    const util::Endpoint& server() const { return server_; }
    TurnState state() const { return state_; }
    // Why the allocation failed ("401 Unauthorized", "no answer"); empty otherwise.
    const std::string& error() const { return error_; }
    std::optional<util::Endpoint> relayed() const { return relayed_; }
    std::optional<util::Endpoint> mapped() const { return mapped_; }

    void start(TimePoint now); // sends the first Allocate
    // RFC 8656 §9: asks for a permission for `peer` (once per address).
    void permit(const util::IpAddress& peer, TimePoint now);
    bool permitted(const util::IpAddress& peer) const;

    // A datagram from the server. A Data indication's payload is returned (a view into `bytes`)
    // with the peer it came from; responses update the state and return nullopt.
    struct Received {
        util::Endpoint peer;
        std::span<const uint8_t> data;
    };
    std::optional<Received> on_datagram(std::span<const uint8_t> bytes, TimePoint now);
    void on_timer(TimePoint now);
    std::optional<TimePoint> next_deadline() const;

    // RFC 8656 §11.1: wraps `data` for `peer` into a Send indication; empty when it cannot.
    std::vector<uint8_t> send_indication(const util::Endpoint& peer,
                                         std::span<const uint8_t> data) const;

    // Datagrams for the server queued since the last call.
    std::vector<std::vector<uint8_t>> take_outgoing();

    // RFC 8656 §8: a Refresh with LIFETIME 0 that deletes the allocation, sent once when the
    // agent is done (not retransmitted: the allocation expires anyway). Queued only when
    // allocated; the state becomes Idle.
    void release();

private:
    enum class Kind : uint8_t { Allocate, Permission };
    struct Pending {
        Kind kind = Kind::Allocate;
        util::IpAddress peer;
        stun::TransactionId id{};
        std::vector<uint8_t> bytes;
        probe::Retransmitter timer;
        unsigned attempts = 0; // authentication rounds (401/438) for this request
    };

    void send_allocate(TimePoint now, unsigned attempts);
    void send_permission(const util::IpAddress& peer, TimePoint now, unsigned attempts);
    // Adds USERNAME, REALM, NONCE, MESSAGE-INTEGRITY (RFC 8489 §9.2.4) and queues the request.
    void queue(Kind kind, const util::IpAddress& peer, std::vector<uint8_t> bytes,
               const stun::TransactionId& id, TimePoint now, unsigned attempts);
    void fail(std::string why);
    bool authenticated() const { return !realm_.empty(); }

    util::Endpoint server_;
    std::string username_;
    std::string password_;
    std::chrono::milliseconds timeout_;
    bool reliable_ = false;
    TurnState state_ = TurnState::Idle;
    std::string error_;
    std::string realm_;
    std::string nonce_;
    std::array<uint8_t, 16> key_{};
    std::optional<util::Endpoint> relayed_;
    std::optional<util::Endpoint> mapped_;
    std::vector<Pending> pending_;
    std::vector<util::IpAddress> asked_;
    std::vector<util::IpAddress> permitted_;
    std::vector<std::vector<uint8_t>> outgoing_;
};

} // namespace rtc::ice

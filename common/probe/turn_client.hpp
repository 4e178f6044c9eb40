#pragma once
// The client side of one TURN allocation (RFC 8656), sans-I/O, for `rtc-probe turn`: Allocate
// with the long-term credential challenge (RFC 8489 §9.2), CreatePermission, ChannelBind and
// Refresh, one request at a time, each with RFC 8489 §6.2 retransmissions.
//
//   TurnClient client(credentials, policy_for_timeout(3s, false), "rtc-probe", next_id);
//   client.start({TurnRequestKind::Allocate}, now);
//   while (!client.finished(now)) {
//       if (auto bytes = client.poll(now); !bytes.empty()) send(bytes);
//       wait_until(client.next_deadline());            // feeding client.on_message(...)
//   }
//   if (client.failure() == TurnFailure::None) use(client.relayed());
//
// A 401 to a request without credentials is the challenge: the client takes REALM and NONCE,
// derives the key and sends the request again as a new transaction. A 438 (stale nonce) does
// the same with the new nonce, a bounded number of times.
#include "probe/transaction.hpp"
#include "stun/message.hpp"
#include "util/ip_address.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rtc::probe {

inline constexpr std::size_t kMaxTurnRequestSize = 1400;
inline constexpr unsigned kMaxStaleNonceRetries = 3;

enum class TurnRequestKind : uint8_t { Allocate, CreatePermission, ChannelBind, Refresh };
std::string_view to_string(TurnRequestKind kind); // "Allocate", ...

// Why a request failed, as the probe explains it.
enum class TurnFailure : uint8_t {
    None,
    Timeout,              // no answer within the retransmission schedule
    RealmMismatch,        // the challenge named another realm than the one expected
    WrongCredentials,     // 401 again after sending credentials
    Forbidden,            // 403 (RFC 8656 §19: peer address refused)
    AllocationMismatch,   // 437
    AllocationQuota,      // 486
    InsufficientCapacity, // 508
    ErrorResponse,        // any other error response
    BadResponse,          // a success response without what it must carry
};
// A snake_case code for --json: "timeout", "realm_mismatch", ...
std::string_view failure_code(TurnFailure failure);

struct TurnCredentials {
    std::string username;
    std::string password;
    std::string expected_realm; // empty: accept the realm the server names
};

struct TurnRequestSpec {
    TurnRequestKind kind = TurnRequestKind::Allocate;
    util::Endpoint peer{};        // CreatePermission, ChannelBind
    uint16_t channel = 0x4000;    // ChannelBind (RFC 8656 §12: 0x4000-0x4FFF)
    uint32_t lifetime = 600;      // Refresh; 0 deletes the allocation (RFC 8656 §8)
    bool include_lifetime = true; // Refresh
};

class TurnClient {
public:
    using IdSource = std::function<stun::TransactionId()>;

    TurnClient(TurnCredentials credentials, const RetransmitPolicy& policy, std::string software,
               IdSource next_id);

    // Starts a request (the previous one, if any, is abandoned). The failure state is reset.
    void start(const TurnRequestSpec& spec, TimePoint now);
    // The request bytes when a (re)transmission is due at `now`, else empty.
    std::span<const uint8_t> poll(TimePoint now);
    // A received STUN message; true when it answered the request in flight.
    bool on_message(std::span<const uint8_t> bytes, TimePoint now);
    std::optional<TimePoint> next_deadline() const;

    // The request got its final answer, failed, or timed out.
    bool finished(TimePoint now) const;
    bool succeeded() const { return done_ && failure_ == TurnFailure::None; }
    TurnFailure failure() const { return failure_; }
    uint16_t error_code() const { return error_code_; }
    const std::string& error_reason() const { return error_reason_; }
    TurnRequestKind kind() const { return spec_.kind; }

    // From the challenge; empty before it.
    const std::string& realm() const { return realm_; }
    bool authenticated() const { return have_key_; }
    // From the Allocate success response (RFC 8656 §7.3).
    const std::optional<util::Endpoint>& relayed() const { return relayed_; }
    const std::optional<util::Endpoint>& mapped() const { return mapped_; }
    uint32_t lifetime() const { return lifetime_; }
    // From the last request sent to the final answer.
    Clock::duration rtt() const { return rtt_; }
    unsigned requests_sent() const { return requests_; }

private:
    bool build();
    void fail(TurnFailure failure, uint16_t code = 0, std::string reason = {});
    bool on_challenge(const stun::MessageView& m, uint16_t code, TimePoint now);
    void on_success(const stun::MessageView& m);
    void resend(TimePoint now);

    TurnCredentials credentials_;
    RetransmitPolicy policy_;
    std::string software_;
    IdSource next_id_;

    TurnRequestSpec spec_;
    stun::TransactionId id_{};
    std::array<uint8_t, kMaxTurnRequestSize> request_{};
    std::size_t size_ = 0;
    Retransmitter timer_;
    bool active_ = false;
    bool done_ = false;
    unsigned stale_retries_ = 0;
    unsigned requests_ = 0;

    std::string realm_;
    std::string nonce_;
    std::vector<uint8_t> password_algorithms_; // RFC 8489 §14.11, echoed as received
    std::array<uint8_t, 16> key_{};            // RFC 8489 §9.2.2 (MD5)
    bool have_key_ = false;

    TurnFailure failure_ = TurnFailure::None;
    uint16_t error_code_ = 0;
    std::string error_reason_;
    std::optional<util::Endpoint> relayed_;
    std::optional<util::Endpoint> mapped_;
    uint32_t lifetime_ = 0;
    Clock::duration rtt_{};
};

} // namespace rtc::probe

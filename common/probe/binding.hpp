#pragma once
// Binding requests as a client sends them and the answers it reads (RFC 8489 §6.2, §7.3.3;
// RFC 5780 §7 for CHANGE-REQUEST, RESPONSE-PORT, RESPONSE-ORIGIN and OTHER-ADDRESS), and one
// client transaction (BindingClient) for `rtc-probe stun`.
#include "probe/transaction.hpp"
#include "stun/message.hpp"
#include "util/ip_address.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace rtc::probe {

// Room for a request with every attribute below and a SOFTWARE of up to 127 bytes.
inline constexpr std::size_t kMaxRequestSize = 256;

struct BindingRequestSpec {
    stun::TransactionId id{};
    bool change_ip = false;                // RFC 5780 §7.2 CHANGE-REQUEST "A"
    bool change_port = false;              // RFC 5780 §7.2 CHANGE-REQUEST "B"
    std::optional<uint16_t> response_port; // RFC 5780 §7.5
    // RFC 8489 §14.14: a client may say what it is. It also makes the request large enough
    // that a server bounding its answers to a multiple of the request size (amplification)
    // has room for OTHER-ADDRESS and RESPONSE-ORIGIN.
    std::string_view software;
    bool fingerprint = true; // RFC 8489 §14.7
};

// Writes the request into `out`; returns the bytes written (empty when `out` is too small or
// SOFTWARE is too long).
std::span<const uint8_t> build_binding_request(std::span<uint8_t> out,
                                               const BindingRequestSpec& spec);

struct BindingAnswer {
    bool success = false;                 // success response; else an error response
    uint16_t error_code = 0;              // ERROR-CODE of an error response (0 if it had none)
    std::string error_reason;             // its reason phrase
    std::optional<util::Endpoint> mapped; // XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS
    std::optional<util::Endpoint> other_address;   // RFC 5780 §7.4 (or CHANGED-ADDRESS)
    std::optional<util::Endpoint> response_origin; // RFC 5780 §7.3 (or SOURCE-ADDRESS)
    std::string software;
};

// Reads a Binding success or error response. nullopt when `message` is not one, or cannot be
// used: a success without a mapped address, or with an unknown comprehension-required
// attribute (RFC 8489 §7.3.3: the transaction then fails, so the caller keeps waiting).
std::optional<BindingAnswer> read_binding_answer(const stun::MessageView& message);

// One Binding transaction: the request, its retransmissions and the answer.
//
//   BindingClient client(id, policy_for_timeout(3s, false), "rtc-probe 0.1.0", now);
//   if (auto bytes = client.poll(now); !bytes.empty()) send(bytes);
//   client.on_message(received, now);               // any datagram or stream frame
//   if (client.finished()) report(client.answer(), client.rtt());
class BindingClient {
public:
    BindingClient(const stun::TransactionId& id, const RetransmitPolicy& policy,
                  std::string_view software, TimePoint now);

    // The request bytes when a (re)transmission is due at `now`, else empty.
    std::span<const uint8_t> poll(TimePoint now);
    // A received message; true when it answered this transaction (the first answer counts).
    bool on_message(std::span<const uint8_t> bytes, TimePoint now);
    std::optional<TimePoint> next_deadline() const;

    bool answered() const { return answer_.has_value(); }
    bool timed_out(TimePoint now) const { return !answered() && timer_.expired(now); }
    bool finished(TimePoint now) const { return answered() || timer_.expired(now); }
    const std::optional<BindingAnswer>& answer() const { return answer_; }
    // From the last request sent to the answer (the answer may be to an earlier one).
    Clock::duration rtt() const { return rtt_; }
    unsigned retransmissions() const { return timer_.retransmissions(); }
    unsigned requests_sent() const { return timer_.requests_sent(); }
    const stun::TransactionId& id() const { return id_; }
    std::span<const uint8_t> request() const { return {request_.data(), size_}; }

private:
    stun::TransactionId id_;
    std::array<uint8_t, kMaxRequestSize> request_{};
    std::size_t size_ = 0;
    Retransmitter timer_;
    std::optional<BindingAnswer> answer_;
    Clock::duration rtt_{};
};

} // namespace rtc::probe

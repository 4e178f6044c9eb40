#pragma once
// The bookkeeping of a STUN Binding load run, without I/O or clocks (times are nanoseconds the
// caller reads): the requests in flight, their latency histogram and the 20-byte requests.
//
//   rtc::probe::InFlight flight(10'000);
//   rtc::stun::TransactionId id;
//   if (flight.start(socket_index, now_ns, random_word, id))
//       rtc::probe::write_binding_request(buffer, id);
//   ...
//   if (auto sent = flight.finish(socket_index, answer_id))
//       histogram.record(now_ns - *sent);
#include "stun/message.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace rtc::probe {

// Latencies in nanoseconds, log-linear: 16 steps per power of two (at most ~6% above the true
// value), up to 2^40 ns. Recording never allocates.
class LatencyHistogram {
public:
    void record(int64_t nanoseconds);
    uint64_t count() const { return count_; }
    uint64_t max() const { return max_; }
    uint64_t min() const { return count_ ? min_ : 0; }
    // The bound of the bucket holding the q-quantile (0..1), within [min, max]; 0 when empty.
    uint64_t percentile(double q) const;

private:
    static constexpr int kStepBits = 4;
    static constexpr int kSteps = 1 << kStepBits;
    static constexpr int kOctaves = 41;
    static constexpr std::size_t kBuckets = static_cast<std::size_t>(kOctaves * kSteps);
    static std::size_t bucket_of(uint64_t v);
    static uint64_t bound_of(std::size_t bucket);

    std::array<uint64_t, kBuckets> counts_{};
    uint64_t count_ = 0;
    uint64_t max_ = 0;
    uint64_t min_ = UINT64_MAX;
};

// Requests sent and not yet answered or expired. Each gets a slot; its transaction id carries
// the slot number (bytes 0-3) and a random tag (bytes 4-11), so an answer finds its request in
// O(1) and a forged or stale answer does not match. Slots are allocated once.
class InFlight {
public:
    explicit InFlight(std::size_t capacity);

    std::size_t size() const { return live_; }
    std::size_t capacity() const { return slots_.size(); }
    bool full() const { return free_.empty(); }
    // Takes a slot for a request sent on `socket` at `now_ns` and fills `id`; false when full.
    bool start(uint32_t socket, int64_t now_ns, uint64_t random_tag, stun::TransactionId& id);
    // The send time of the request answered on `socket` with `id`, freeing its slot; nullopt if
    // no such request is in flight (late, duplicated, forged or from another socket).
    std::optional<int64_t> finish(uint32_t socket, const stun::TransactionId& id);
    // Gives up every request sent before `cutoff_ns`; returns how many, adding each one's
    // socket to `per_socket` counts when it is large enough.
    std::size_t expire(int64_t cutoff_ns, std::span<uint32_t> per_socket = {});

private:
    struct Slot {
        int64_t sent_ns = 0;
        uint64_t tag = 0;
        uint32_t socket = 0;
        bool live = false;
    };
    std::vector<Slot> slots_;
    std::vector<uint32_t> free_; // a stack of free slot numbers
    std::size_t live_ = 0;
};

// RFC 8489 §5: a Binding request with no attributes (type 0x0001, length 0, magic cookie, id).
inline constexpr std::size_t kBindingRequestSize = stun::kHeaderSize;
void write_binding_request(std::span<uint8_t, kBindingRequestSize> out,
                           const stun::TransactionId& id);

enum class AnswerKind : uint8_t { Success, Error, NotStun };
struct BindingAnswer {
    AnswerKind kind = AnswerKind::NotStun;
    stun::TransactionId id{};
};
// Classifies a datagram by its STUN header (RFC 8489 §5, §6.3): a Binding success or error
// response and its transaction id, or not an answer at all. Never reads past `data`.
BindingAnswer read_binding_answer(std::span<const uint8_t> data);

} // namespace rtc::probe

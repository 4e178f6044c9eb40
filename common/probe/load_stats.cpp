#include "probe/load_stats.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace rtc::probe {

namespace {

constexpr uint16_t kBindingRequest = 0x0001;       // RFC 8489 §18.2
constexpr uint16_t kBindingSuccess = 0x0101;       // RFC 8489 §18.2
constexpr uint16_t kBindingErrorResponse = 0x0111; // RFC 8489 §18.2

} // namespace

std::size_t LatencyHistogram::bucket_of(uint64_t v) {
    if (v < kSteps)
        return static_cast<std::size_t>(v);
    const int octave = std::bit_width(v) - kStepBits; // >= 1 here
    if (octave >= kOctaves)
        return kBuckets - 1;
    const auto step = static_cast<std::size_t>((v >> (octave - 1)) & (kSteps - 1));
    return static_cast<std::size_t>(octave) * kSteps + step;
}

uint64_t LatencyHistogram::bound_of(std::size_t bucket) {
    if (bucket < kSteps)
        return bucket;
    const auto octave = static_cast<int>(bucket / kSteps);
    const uint64_t step = bucket % kSteps;
    // Values in this bucket are (kSteps + step) << (octave - 1) up to the next one, exclusive.
    return ((kSteps + step + 1) << (octave - 1)) - 1;
}

void LatencyHistogram::record(int64_t nanoseconds) {
    const uint64_t v = nanoseconds < 0 ? 0 : static_cast<uint64_t>(nanoseconds);
    ++counts_[bucket_of(v)];
    ++count_;
    max_ = std::max(max_, v);
    min_ = std::min(min_, v);
}

uint64_t LatencyHistogram::percentile(double q) const {
    if (count_ == 0)
        return 0;
    if (q <= 0)
        return min();
    q = std::min(q, 1.0);
    // The rank-th smallest sample (1-based), at least the first.
    auto rank = static_cast<uint64_t>(q * static_cast<double>(count_) + 0.5);
    rank = std::clamp<uint64_t>(rank, 1, count_);
    uint64_t seen = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
        seen += counts_[i];
        if (seen >= rank)
            return std::clamp(bound_of(i), min(), max_);
    }
    return max_;
}

InFlight::InFlight(std::size_t capacity) : slots_(std::max<std::size_t>(capacity, 1)) {
    free_.reserve(slots_.size());
    for (std::size_t i = slots_.size(); i-- > 0;)
        free_.push_back(static_cast<uint32_t>(i));
}

bool InFlight::start(uint32_t socket, int64_t now_ns, uint64_t random_tag,
                     stun::TransactionId& id) {
    if (free_.empty())
        return false;
    const uint32_t index = free_.back();
    free_.pop_back();
    slots_[index] = Slot{now_ns, random_tag, socket, true};
    ++live_;
    for (int i = 0; i < 4; ++i)
        id[static_cast<std::size_t>(i)] = static_cast<uint8_t>(index >> (24 - 8 * i));
    for (int i = 0; i < 8; ++i)
        id[static_cast<std::size_t>(4 + i)] = static_cast<uint8_t>(random_tag >> (56 - 8 * i));
    return true;
}

std::optional<int64_t> InFlight::finish(uint32_t socket, const stun::TransactionId& id) {
    uint32_t index = 0;
    for (int i = 0; i < 4; ++i)
        index = (index << 8) | id[static_cast<std::size_t>(i)];
    uint64_t tag = 0;
    for (int i = 0; i < 8; ++i)
        tag = (tag << 8) | id[static_cast<std::size_t>(4 + i)];
    if (index >= slots_.size())
        return std::nullopt;
    Slot& slot = slots_[index];
    if (!slot.live || slot.tag != tag || slot.socket != socket)
        return std::nullopt;
    slot.live = false;
    --live_;
    free_.push_back(index);
    return slot.sent_ns;
}

std::size_t InFlight::expire(int64_t cutoff_ns, std::span<uint32_t> per_socket) {
    std::size_t removed = 0;
    for (std::size_t i = 0; i < slots_.size() && live_ > 0; ++i) {
        Slot& slot = slots_[i];
        if (!slot.live || slot.sent_ns >= cutoff_ns)
            continue;
        slot.live = false;
        --live_;
        free_.push_back(static_cast<uint32_t>(i));
        if (slot.socket < per_socket.size())
            ++per_socket[slot.socket];
        ++removed;
    }
    return removed;
}

void write_binding_request(std::span<uint8_t, kBindingRequestSize> out,
                           const stun::TransactionId& id) {
    out[0] = static_cast<uint8_t>(kBindingRequest >> 8);
    out[1] = static_cast<uint8_t>(kBindingRequest & 0xFF);
    out[2] = 0; // message length: no attributes
    out[3] = 0;
    for (int i = 0; i < 4; ++i)
        out[static_cast<std::size_t>(4 + i)] =
            static_cast<uint8_t>(stun::kMagicCookie >> (24 - 8 * i));
    std::memcpy(out.data() + 8, id.data(), id.size());
}

BindingAnswer read_binding_answer(std::span<const uint8_t> data) {
    BindingAnswer answer;
    if (data.size() < stun::kHeaderSize)
        return answer;
    const auto type = static_cast<uint16_t>((data[0] << 8) | data[1]);
    const auto length = static_cast<std::size_t>((data[2] << 8) | data[3]);
    uint32_t cookie = 0;
    for (std::size_t i = 4; i < 8; ++i)
        cookie = (cookie << 8) | data[i];
    // RFC 8489 §6.3: the length covers the attributes and is a multiple of 4.
    if (cookie != stun::kMagicCookie || length % 4 != 0 || stun::kHeaderSize + length > data.size())
        return answer;
    if (type == kBindingSuccess)
        answer.kind = AnswerKind::Success;
    else if (type == kBindingErrorResponse)
        answer.kind = AnswerKind::Error;
    else
        return answer;
    std::memcpy(answer.id.data(), data.data() + 8, answer.id.size());
    return answer;
}

} // namespace rtc::probe

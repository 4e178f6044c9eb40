#include "probe/turn_relay.hpp"

#include "stun/address_attributes.hpp"
#include "stun/builder.hpp"
#include "stun/framing.hpp"
#include "stun/turn_attributes.hpp"
#include "util/bytes.hpp"

#include <algorithm>

namespace rtc::probe {

namespace {

constexpr uint32_t kPingMagic = 0x72746370; // "rtcp"

} // namespace

std::span<const uint8_t> build_send_indication(std::span<uint8_t> out,
                                               const stun::TransactionId& id,
                                               const util::Endpoint& peer,
                                               std::span<const uint8_t> data) {
    stun::MessageBuilder b(out, stun::Method::Send, stun::MessageClass::Indication, id);
    b.add(stun::XorPeerAddress{peer});
    b.add(stun::Data{data});
    return b.bytes();
}

std::span<const uint8_t> build_channel_data(std::span<uint8_t> out, uint16_t channel,
                                            std::span<const uint8_t> data, bool pad) {
    std::size_t total = stun::kChannelDataHeaderSize + data.size();
    if (pad)
        total = (total + 3) & ~std::size_t{3};
    if (data.size() > 0xFFFF || out.size() < total)
        return {};
    util::ByteWriter w(out);
    w.write_u16(channel);
    w.write_u16(static_cast<uint16_t>(data.size()));
    std::copy(data.begin(), data.end(), out.begin() + stun::kChannelDataHeaderSize);
    std::fill(out.begin() + static_cast<std::ptrdiff_t>(stun::kChannelDataHeaderSize + data.size()),
              out.begin() + static_cast<std::ptrdiff_t>(total), uint8_t{0});
    return out.first(total);
}

std::optional<RelayedData> read_relayed_data(std::span<const uint8_t> bytes) {
    if (stun::is_channel_data(bytes)) {
        // RFC 8656 §12.4: the length excludes the header and any padding.
        if (bytes.size() < stun::kChannelDataHeaderSize)
            return std::nullopt;
        util::ByteReader r(bytes);
        RelayedData d;
        d.channel = r.read_u16();
        const uint16_t length = r.read_u16();
        if (length > r.remaining())
            return std::nullopt;
        d.data = r.read_bytes(length);
        return d;
    }
    auto m = stun::MessageView::parse(bytes);
    if (!m || m->method() != stun::Method::Data ||
        m->message_class() != stun::MessageClass::Indication)
        return std::nullopt;
    // RFC 8656 §11.4: XOR-PEER-ADDRESS and DATA are both required.
    auto peer = m->get<stun::XorPeerAddress>();
    auto data = m->get<stun::Data>();
    if (!peer || !data)
        return std::nullopt;
    RelayedData d;
    d.peer = peer->endpoint;
    d.data = data->bytes;
    return d;
}

RelayPing::RelayPing(uint32_t count, std::size_t size)
    : count_(count), size_(std::clamp(size, kMinPingSize, kMaxPingSize)), sent_at_(count),
      seen_(count, false) {
    rtts_.reserve(count);
}

std::span<const uint8_t> RelayPing::make(uint32_t sequence, std::span<uint8_t> out, TimePoint now) {
    if (sequence >= count_ || out.size() < size_)
        return {};
    util::ByteWriter w(out.first(size_));
    w.write_u32(kPingMagic);
    w.write_u32(sequence);
    for (std::size_t i = kMinPingSize; i < size_; ++i)
        w.write_u8(static_cast<uint8_t>(sequence + i));
    sent_at_[sequence] = now;
    sent_ = std::max(sent_, sequence + 1);
    return out.first(size_);
}

bool RelayPing::on_echo(std::span<const uint8_t> payload, TimePoint now) {
    if (payload.size() != size_)
        return false;
    util::ByteReader r(payload);
    if (r.read_u32() != kPingMagic)
        return false;
    const uint32_t sequence = r.read_u32();
    if (!r.ok() || sequence >= sent_ || seen_[sequence])
        return false;
    seen_[sequence] = true;
    ++received_;
    rtts_.push_back(now - sent_at_[sequence]);
    return true;
}

double RelayPing::loss_percent() const {
    if (sent_ == 0)
        return 0.0;
    return 100.0 * static_cast<double>(sent_ - received_) / static_cast<double>(sent_);
}

std::optional<RttSummary> RelayPing::rtt() const {
    if (rtts_.empty())
        return std::nullopt;
    auto sorted = rtts_;
    std::sort(sorted.begin(), sorted.end());
    RttSummary s;
    s.min = sorted.front();
    s.max = sorted.back();
    const std::size_t n = sorted.size();
    s.median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    return s;
}

} // namespace rtc::probe

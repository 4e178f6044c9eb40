#pragma once
// The data plane of `rtc-probe turn`: Send indications and ChannelData going out, Data
// indications and ChannelData coming in (RFC 8656 §11, §12), and the round-trip bookkeeping of
// numbered probe datagrams (RelayPing).
#include "probe/transaction.hpp"
#include "stun/message.hpp"
#include "util/ip_address.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace rtc::probe {

// RFC 8656 §11.1: a Send indication with XOR-PEER-ADDRESS and DATA, written into `out`.
// Empty when `out` is too small.
std::span<const uint8_t> build_send_indication(std::span<uint8_t> out,
                                               const stun::TransactionId& id,
                                               const util::Endpoint& peer,
                                               std::span<const uint8_t> data);

// RFC 8656 §12.4: channel number, length, data; over TCP/TLS padded to a multiple of 4
// (RFC 8656 §12.5). Empty when `out` is too small.
std::span<const uint8_t> build_channel_data(std::span<uint8_t> out, uint16_t channel,
                                            std::span<const uint8_t> data, bool pad);

// Application data that arrived through the relay: from a Data indication (peer set) or from
// ChannelData (channel set). `data` views the caller's buffer.
struct RelayedData {
    std::optional<util::Endpoint> peer;
    uint16_t channel = 0;
    std::span<const uint8_t> data;
};
// nullopt for anything else (responses, malformed input).
std::optional<RelayedData> read_relayed_data(std::span<const uint8_t> bytes);

// Numbered probe datagrams: payload = magic(4) | sequence(4) | padding to `size`.
inline constexpr std::size_t kMinPingSize = 8;
inline constexpr std::size_t kMaxPingSize = 1200;

struct RttSummary {
    Clock::duration min{};
    Clock::duration median{};
    Clock::duration max{};
};

class RelayPing {
public:
    // `count` datagrams of `size` bytes (clamped to [kMinPingSize, kMaxPingSize]).
    RelayPing(uint32_t count, std::size_t size);

    // Writes datagram `sequence` into `out` (at least size() bytes) and records the send time.
    std::span<const uint8_t> make(uint32_t sequence, std::span<uint8_t> out, TimePoint now);
    // A datagram that came back; true when it is one of ours, sent and not yet seen.
    bool on_echo(std::span<const uint8_t> payload, TimePoint now);

    uint32_t count() const { return count_; }
    std::size_t size() const { return size_; }
    uint32_t sent() const { return sent_; }
    uint32_t received() const { return received_; }
    bool complete() const { return received_ == count_; }
    // Percent of the sent datagrams that did not come back.
    double loss_percent() const;
    // nullopt when nothing came back.
    std::optional<RttSummary> rtt() const;

private:
    uint32_t count_;
    std::size_t size_;
    uint32_t sent_ = 0;
    uint32_t received_ = 0;
    std::vector<TimePoint> sent_at_;
    std::vector<bool> seen_;
    std::vector<Clock::duration> rtts_;
};

} // namespace rtc::probe

#pragma once
// RTP packet view (RFC 3550 §5.1) and header extensions (RFC 8285 §4): a parse that validates
// every length against the caller's bytes, then accessors that read those bytes in place.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace rtc::rtp {

inline constexpr std::size_t kFixedHeaderSize = 12;
inline constexpr uint16_t kOneByteProfile = 0xBEDE; // RFC 8285 §4.2
inline constexpr uint16_t kTwoByteProfile = 0x1000; // RFC 8285 §4.3 (0x100 + 4 app bits)
inline constexpr uint16_t kTwoByteProfileMask = 0xFFF0;
inline constexpr uint8_t kMaxOneByteId = 14; // RFC 8285 §4.2: 15 is reserved
inline constexpr std::size_t kMaxOneByteValue = 16;

enum class ExtensionForm { None, OneByte, TwoByte, Other };

struct HeaderExtension {
    uint8_t id = 0;
    std::span<const uint8_t> value;
};

// Walks the elements of a one- or two-byte extension block. next() returns nullopt at the end or
// at the first malformed element (then malformed() is true). Padding bytes (id 0) are skipped.
class ExtensionIterator {
public:
    ExtensionIterator() = default;
    ExtensionIterator(ExtensionForm form, std::span<const uint8_t> data)
        : form_(form), data_(data) {}

    std::optional<HeaderExtension> next();
    bool malformed() const { return malformed_; }

private:
    ExtensionForm form_ = ExtensionForm::None;
    std::span<const uint8_t> data_;
    std::size_t pos_ = 0;
    bool malformed_ = false;
};

class RtpView {
public:
    // RFC 3550 §5.1: version 2, CSRCs, extension block (§5.3.1) and padding (P bit: the last byte
    // counts the padding bytes, itself included; must be >= 1 and fit after the header) all
    // checked against the buffer. Never throws; nullopt when malformed.
    static std::optional<RtpView> parse(std::span<const uint8_t> packet);

    uint8_t version() const { return static_cast<uint8_t>(bytes_[0] >> 6); }
    bool has_padding() const { return (bytes_[0] & 0x20) != 0; }
    bool has_extension() const { return (bytes_[0] & 0x10) != 0; }
    uint8_t csrc_count() const { return static_cast<uint8_t>(bytes_[0] & 0x0F); }
    bool marker() const { return (bytes_[1] & 0x80) != 0; }
    uint8_t payload_type() const { return static_cast<uint8_t>(bytes_[1] & 0x7F); }
    uint16_t sequence() const;
    uint32_t timestamp() const;
    uint32_t ssrc() const;
    // i < csrc_count(); returns 0 otherwise.
    uint32_t csrc(std::size_t i) const;
    std::span<const uint8_t> csrc_bytes() const {
        return bytes_.subspan(kFixedHeaderSize, 4 * csrc_count());
    }

    // Fixed header + CSRCs + extension block (its 4-byte header and data).
    std::size_t header_size() const { return header_size_; }
    std::span<const uint8_t> payload() const { return bytes_.subspan(header_size_, payload_size_); }
    std::size_t padding_size() const { return padding_size_; }

    // RFC 3550 §5.3.1: "defined by profile" field, 0 when there is no extension.
    uint16_t extension_profile() const { return extension_profile_; }
    // The extension data after the 4-byte extension header (length * 4 bytes).
    std::span<const uint8_t> extension_data() const { return extension_data_; }
    ExtensionForm extension_form() const;
    ExtensionIterator extensions() const { return {extension_form(), extension_data_}; }
    // First element with this id (one- or two-byte form); nullopt if absent or the block is
    // malformed before it.
    std::optional<std::span<const uint8_t>> find_extension(uint8_t id) const;

    // The whole packet as given to parse().
    std::span<const uint8_t> bytes() const { return bytes_; }

private:
    std::span<const uint8_t> bytes_;
    std::span<const uint8_t> extension_data_;
    std::size_t header_size_ = 0;
    std::size_t payload_size_ = 0;
    std::size_t padding_size_ = 0;
    uint16_t extension_profile_ = 0;
};

} // namespace rtc::rtp

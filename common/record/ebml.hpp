#pragma once
// Minimal EBML (RFC 8794) element writer for Matroska/WebM headers: element IDs, variable-size
// integers and the typed payloads. Writes into a growable buffer; for the once-per-file header
// (the per-frame path in webm_writer uses fixed stack buffers instead).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

namespace rtc::record::ebml {

// RFC 8794 §6.2: "unknown" data size, all VINT_DATA bits set, in an 8-octet VINT.
inline constexpr uint64_t kUnknownSize = 0x00FFFFFFFFFFFFFF;

// Octets of the shortest VINT for `value` (1..8). RFC 8794 §4: the all-ones value of each
// length is reserved, so it needs the next length. 0 when the value does not fit 8 octets.
std::size_t vint_length(uint64_t value);
// Writes `value` as a VINT of exactly `length` octets into out[0..length). length in 1..8, and
// value must fit (value < 2^(7*length) - 1), except kUnknownSize with length 8.
void put_vint(uint8_t* out, uint64_t value, std::size_t length);
// Octets of an element ID as written (IDs carry their own VINT marker: 1..4).
std::size_t id_length(uint32_t id);
// Writes the ID's octets; returns how many.
std::size_t put_id(uint8_t* out, uint32_t id);

class Writer {
public:
    void id(uint32_t id);
    void size(uint64_t size);
    void uint(uint32_t id, uint64_t value);
    void float64(uint32_t id, double value);
    void string(uint32_t id, std::string_view value);
    void binary(uint32_t id, std::span<const uint8_t> value);
    // A master element with a known size: the children are written by `body` into a nested
    // writer, then copied behind this element's ID and size.
    void master(uint32_t id, const std::function<void(Writer&)>& body);
    void raw(std::span<const uint8_t> bytes);

    const std::vector<uint8_t>& bytes() const { return bytes_; }
    std::size_t position() const { return bytes_.size(); }

private:
    std::vector<uint8_t> bytes_;
};

// Matroska element IDs (RFC 9559 §5.1, and RFC 8794 §11.2 for the EBML header).
namespace id {
inline constexpr uint32_t kEbml = 0x1A45DFA3;
inline constexpr uint32_t kEbmlVersion = 0x4286;
inline constexpr uint32_t kEbmlReadVersion = 0x42F7;
inline constexpr uint32_t kEbmlMaxIdLength = 0x42F2;
inline constexpr uint32_t kEbmlMaxSizeLength = 0x42F3;
inline constexpr uint32_t kDocType = 0x4282;
inline constexpr uint32_t kDocTypeVersion = 0x4287;
inline constexpr uint32_t kDocTypeReadVersion = 0x4285;
inline constexpr uint32_t kVoid = 0xEC;
inline constexpr uint32_t kSegment = 0x18538067;
inline constexpr uint32_t kInfo = 0x1549A966;
inline constexpr uint32_t kTimestampScale = 0x2AD7B1;
inline constexpr uint32_t kDuration = 0x4489;
inline constexpr uint32_t kMuxingApp = 0x4D80;
inline constexpr uint32_t kWritingApp = 0x5741;
inline constexpr uint32_t kTracks = 0x1654AE6B;
inline constexpr uint32_t kTrackEntry = 0xAE;
inline constexpr uint32_t kTrackNumber = 0xD7;
inline constexpr uint32_t kTrackUid = 0x73C5;
inline constexpr uint32_t kTrackType = 0x83;
inline constexpr uint32_t kFlagLacing = 0x9C;
inline constexpr uint32_t kCodecId = 0x86;
inline constexpr uint32_t kCodecPrivate = 0x63A2;
inline constexpr uint32_t kCodecDelay = 0x56AA;
inline constexpr uint32_t kSeekPreRoll = 0x56BB;
inline constexpr uint32_t kVideo = 0xE0;
inline constexpr uint32_t kPixelWidth = 0xB0;
inline constexpr uint32_t kPixelHeight = 0xBA;
inline constexpr uint32_t kAudio = 0xE1;
inline constexpr uint32_t kSamplingFrequency = 0xB5;
inline constexpr uint32_t kChannels = 0x9F;
inline constexpr uint32_t kCluster = 0x1F43B675;
inline constexpr uint32_t kTimestamp = 0xE7;
inline constexpr uint32_t kSimpleBlock = 0xA3;
} // namespace id

} // namespace rtc::record::ebml

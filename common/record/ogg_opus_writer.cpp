#include "record/ogg_opus_writer.hpp"

#include "record/ogg_crc.hpp"

#include <algorithm>
#include <string_view>

namespace rtc::record {

namespace {

constexpr std::size_t kPageHeaderSize = 27; // RFC 3533 §6, before the segment table
constexpr uint8_t kFlagBos = 0x02;          // beginning of stream
constexpr uint8_t kFlagEos = 0x04;          // end of stream
constexpr std::string_view kVendor = "rtc-tools";

void put_le32(uint8_t* p, uint32_t v) {
    for (int i = 0; i < 4; ++i)
        p[i] = static_cast<uint8_t>(v >> (8 * i));
}

} // namespace

OggOpusWriter::OggOpusWriter(const OggOpusConfig& config, ByteSink& sink)
    : config_(config), sink_(sink) {
    if (config_.channels < 1 || config_.channels > 2)
        config_.channels = 2;
    body_.reserve(255 * 255);
}

void OggOpusWriter::write_headers() {
    headers_written_ = true;
    // RFC 7845 §3: the ID header alone on the first page (BOS), granule 0.
    const auto head = make_opus_head(config_.channels, config_.pre_skip, config_.input_sample_rate);
    const uint8_t head_lacing[1] = {static_cast<uint8_t>(head.size())};
    emit_page(kFlagBos, 0, head_lacing, head);
    // RFC 7845 §5.2 comment header: magic, vendor string, zero user comments; its own page.
    std::array<uint8_t, 8 + 4 + kVendor.size() + 4> tags{'O', 'p', 'u', 's', 'T', 'a', 'g', 's'};
    put_le32(tags.data() + 8, static_cast<uint32_t>(kVendor.size()));
    std::copy(kVendor.begin(), kVendor.end(), tags.begin() + 12);
    put_le32(tags.data() + 12 + kVendor.size(), 0);
    const uint8_t tags_lacing[1] = {static_cast<uint8_t>(tags.size())};
    emit_page(0, 0, tags_lacing, tags);
}

bool OggOpusWriter::write_packet(std::span<const uint8_t> packet, int64_t start_sample) {
    const uint32_t samples = opus_packet_samples(packet);
    if (finished_ || samples == 0 || packet.size() > kMaxPacket) {
        ++stats_.dropped;
        return false;
    }
    int64_t start = start_sample - rtp_offset_;
    if (!any_packet_ && start < 0) { // before the start of the file
        ++stats_.dropped;
        return false;
    }
    const int64_t gap = start - end_sample_;
    if (gap > config_.max_gap_samples || (any_packet_ && gap < -config_.max_gap_samples)) {
        rtp_offset_ += gap; // a discontinuity: continue right after the audio so far
        start = end_sample_;
    } else if (gap < 0) {
        ++stats_.dropped; // overlaps audio already written: duplicate or late
        return false;
    }
    if (!headers_written_)
        write_headers();
    any_packet_ = true;
    fill_gap(start - end_sample_);
    append(packet, samples);
    ++stats_.packets;
    return true;
}

void OggOpusWriter::fill_gap(int64_t samples) {
    // Whole 20 ms frames first (6 per packet, 120 ms), then 2.5 ms frames; a remainder below
    // 2.5 ms stays (the next packet plays up to 2.5 ms early, never drifting further).
    while (samples >= 960) {
        const auto frames = static_cast<uint8_t>(std::min<int64_t>(samples / 960, 6));
        const auto filler = opus_filler_packet(960, frames);
        append(filler, 960u * frames);
        ++stats_.filler_packets;
        samples -= 960 * frames;
    }
    if (samples >= 120) {
        const auto frames = static_cast<uint8_t>(samples / 120); // < 8 here
        const auto filler = opus_filler_packet(120, frames);
        append(filler, 120u * frames);
        ++stats_.filler_packets;
    }
}

void OggOpusWriter::append(std::span<const uint8_t> packet, uint32_t samples) {
    // RFC 3533 §6 lacing: size / 255 values of 255, then size % 255 (0 ends a 255-multiple).
    const std::size_t segments = packet.size() / 255 + 1;
    if (lacing_count_ > 0 &&
        (lacing_count_ + segments > lacing_.size() || end_sample_ - page_start_ >= kPageSpan))
        end_page(0);
    if (lacing_count_ == 0)
        page_start_ = end_sample_;
    for (std::size_t i = 0; i + 1 < segments; ++i)
        lacing_[lacing_count_++] = 255;
    lacing_[lacing_count_++] = static_cast<uint8_t>(packet.size() % 255);
    body_.insert(body_.end(), packet.begin(), packet.end());
    end_sample_ += samples;
}

void OggOpusWriter::end_page(uint8_t flags) {
    // RFC 7845 §4: the granule position of a page is the sample count (at 48 kHz, pre-skip
    // included) at the end of the last packet completed on it.
    emit_page(flags, end_sample_ + config_.pre_skip, std::span(lacing_.data(), lacing_count_),
              body_);
    lacing_count_ = 0;
    body_.clear();
}

void OggOpusWriter::flush() {
    if (!finished_ && lacing_count_ > 0)
        end_page(0);
}

void OggOpusWriter::finish() {
    if (finished_)
        return;
    if (!headers_written_)
        write_headers();
    finished_ = true;
    end_page(kFlagEos); // with the pending packets, or empty when there are none
}

void OggOpusWriter::emit_page(uint8_t flags, int64_t granule, std::span<const uint8_t> lacing,
                              std::span<const uint8_t> body) {
    // RFC 3533 §6 page header; all fields little-endian.
    std::array<uint8_t, kPageHeaderSize> h{'O', 'g', 'g', 'S'};
    h[4] = 0; // stream structure version
    h[5] = flags;
    const auto g = static_cast<uint64_t>(granule);
    for (int i = 0; i < 8; ++i)
        h[6 + i] = static_cast<uint8_t>(g >> (8 * i));
    put_le32(h.data() + 14, config_.serial);
    put_le32(h.data() + 18, sequence_++);
    put_le32(h.data() + 22, 0); // CRC computed with this field zeroed
    h[26] = static_cast<uint8_t>(lacing.size());
    uint32_t crc = ogg_crc32(h);
    crc = ogg_crc32(lacing, crc);
    crc = ogg_crc32(body, crc);
    put_le32(h.data() + 22, crc);
    sink_.write(h);
    sink_.write(lacing);
    sink_.write(body);
    ++stats_.pages;
    stats_.bytes += h.size() + lacing.size() + body.size();
}

} // namespace rtc::record

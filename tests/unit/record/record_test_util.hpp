#pragma once
// Helpers for the recording tests: hand-built RTP packets, an RFC 7741 VP8 packetizer, and small
// readers for Ogg pages (RFC 3533 §6) and EBML elements (RFC 8794) to check what was written.
#include "record/ogg_crc.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace record_test {

// RFC 3550 §5.1 fixed header, no CSRC, no extension.
inline std::vector<uint8_t> make_rtp(uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc,
                                     bool marker, std::span<const uint8_t> payload) {
    std::vector<uint8_t> p{0x80,
                           static_cast<uint8_t>((marker ? 0x80 : 0) | pt),
                           static_cast<uint8_t>(seq >> 8),
                           static_cast<uint8_t>(seq),
                           static_cast<uint8_t>(ts >> 24),
                           static_cast<uint8_t>(ts >> 16),
                           static_cast<uint8_t>(ts >> 8),
                           static_cast<uint8_t>(ts),
                           static_cast<uint8_t>(ssrc >> 24),
                           static_cast<uint8_t>(ssrc >> 16),
                           static_cast<uint8_t>(ssrc >> 8),
                           static_cast<uint8_t>(ssrc)};
    p.insert(p.end(), payload.begin(), payload.end());
    return p;
}

// Splits a VP8 frame into RTP payloads (RFC 7741 §4.2): X=1, I=1 with a 15-bit PictureID; S=1
// on the first packet only (PID 0 throughout).
inline std::vector<std::vector<uint8_t>> vp8_payloads(std::span<const uint8_t> frame,
                                                      uint16_t picture_id, std::size_t mtu) {
    std::vector<std::vector<uint8_t>> out;
    std::size_t pos = 0;
    do {
        const std::size_t n = std::min(mtu, frame.size() - pos);
        std::vector<uint8_t> p{static_cast<uint8_t>(pos == 0 ? 0x90 : 0x80), 0x80,
                               static_cast<uint8_t>(0x80 | ((picture_id >> 8) & 0x7F)),
                               static_cast<uint8_t>(picture_id)};
        p.insert(p.end(), frame.begin() + static_cast<std::ptrdiff_t>(pos),
                 frame.begin() + static_cast<std::ptrdiff_t>(pos + n));
        out.push_back(std::move(p));
        pos += n;
    } while (pos < frame.size());
    return out;
}

// A fake VP8 frame: RFC 6386 §9.1 frame tag (key: P=0 + start code + size), then filler.
inline std::vector<uint8_t> fake_vp8_frame(bool key, std::size_t size, uint16_t width = 320,
                                           uint16_t height = 240, uint8_t fill = 0x5A) {
    std::vector<uint8_t> f(size, fill);
    f[0] = key ? 0x50 : 0x51; // show_frame = 1, version 0, P bit
    f[1] = 0x01;
    f[2] = 0x00;
    if (key && size >= 10) {
        f[3] = 0x9d;
        f[4] = 0x01;
        f[5] = 0x2a;
        f[6] = static_cast<uint8_t>(width);
        f[7] = static_cast<uint8_t>(width >> 8);
        f[8] = static_cast<uint8_t>(height);
        f[9] = static_cast<uint8_t>(height >> 8);
    }
    return f;
}

struct OggPage {
    uint8_t flags = 0;
    int64_t granule = 0;
    uint32_t serial = 0;
    uint32_t sequence = 0;
    bool crc_ok = false;
    std::vector<std::vector<uint8_t>> packets; // complete packets only (no continuation here)
};

inline uint32_t le32(const uint8_t* p) {
    return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

// Parses every page; nullopt on any framing error.
inline std::optional<std::vector<OggPage>> read_ogg(std::span<const uint8_t> data) {
    std::vector<OggPage> pages;
    std::size_t pos = 0;
    while (pos < data.size()) {
        if (data.size() - pos < 27 || data[pos] != 'O' || data[pos + 1] != 'g' ||
            data[pos + 2] != 'g' || data[pos + 3] != 'S' || data[pos + 4] != 0)
            return std::nullopt;
        const uint8_t* h = data.data() + pos;
        OggPage page;
        page.flags = h[5];
        page.granule = static_cast<int64_t>(uint64_t{le32(h + 6)} | (uint64_t{le32(h + 10)} << 32));
        page.serial = le32(h + 14);
        page.sequence = le32(h + 18);
        const uint32_t crc = le32(h + 22);
        const std::size_t nseg = h[26];
        if (data.size() - pos < 27 + nseg)
            return std::nullopt;
        std::size_t body = 0;
        for (std::size_t i = 0; i < nseg; ++i)
            body += h[27 + i];
        const std::size_t total = 27 + nseg + body;
        if (data.size() - pos < total)
            return std::nullopt;
        std::vector<uint8_t> copy(h, h + total);
        copy[22] = copy[23] = copy[24] = copy[25] = 0;
        page.crc_ok = rtc::record::ogg_crc32(copy) == crc;
        std::size_t at = 27 + nseg;
        std::vector<uint8_t> packet;
        for (std::size_t i = 0; i < nseg; ++i) {
            packet.insert(packet.end(), h + at, h + at + h[27 + i]);
            at += h[27 + i];
            if (h[27 + i] < 255) {
                page.packets.push_back(packet);
                packet.clear();
            }
        }
        if (!packet.empty())
            return std::nullopt; // the writer never continues a packet across pages
        pages.push_back(std::move(page));
        pos += total;
    }
    return pages;
}

struct Element {
    uint32_t id = 0;
    uint64_t size = 0;      // kUnknown for unknown-size
    std::size_t header = 0; // octets of ID + size
    std::size_t offset = 0; // of the ID
    static constexpr uint64_t kUnknown = ~uint64_t{0};
};

// Reads one EBML element header at `pos` (RFC 8794 §4-5); nullopt when malformed.
inline std::optional<Element> read_element(std::span<const uint8_t> d, std::size_t pos) {
    if (pos >= d.size() || d[pos] == 0)
        return std::nullopt;
    Element e;
    e.offset = pos;
    std::size_t id_len = 1;
    while (!(d[pos] & (0x80 >> (id_len - 1))))
        ++id_len;
    if (id_len > 4 || d.size() - pos < id_len)
        return std::nullopt;
    for (std::size_t i = 0; i < id_len; ++i)
        e.id = (e.id << 8) | d[pos + i];
    pos += id_len;
    if (pos >= d.size() || d[pos] == 0)
        return std::nullopt;
    std::size_t len = 1;
    while (!(d[pos] & (0x80 >> (len - 1))))
        ++len;
    if (d.size() - pos < len)
        return std::nullopt;
    uint64_t v = d[pos] & (0xFF >> len);
    bool all_ones = v == (0xFFu >> len);
    for (std::size_t i = 1; i < len; ++i) {
        v = (v << 8) | d[pos + i];
        all_ones = all_ones && d[pos + i] == 0xFF;
    }
    e.size = all_ones ? Element::kUnknown : v;
    e.header = id_len + len;
    return e;
}

} // namespace record_test

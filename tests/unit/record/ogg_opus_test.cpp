// Ogg Opus writer (RFC 7845, RFC 3533): page CRC, headers, granule positions from RTP time,
// gaps filled, end of stream; Opus packet durations from the TOC (RFC 6716 §3.1).
#include "record/ogg_crc.hpp"
#include "record/ogg_opus_writer.hpp"
#include "record/opus_packet.hpp"
#include "record_test_util.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace rtc::record;
using record_test::read_ogg;

namespace {

// A 20 ms fullband CELT packet (config 31, code 0) with some frame bytes.
std::vector<uint8_t> opus20(uint8_t fill = 0x11) {
    return {0xF8, fill, fill, fill, fill};
}

} // namespace

TEST_CASE("record: Ogg CRC-32 is the unreflected 0x04C11DB7 one") {
    // CRC-32 with poly 0x04C11DB7, init 0, no reflection: "123456789" gives 0x89A1897F (the
    // catalogued CRC-32/CKSUM check value 0x765E7680 before its final inversion).
    const std::string s = "123456789";
    const std::span<const uint8_t> b(reinterpret_cast<const uint8_t*>(s.data()), s.size());
    CHECK(ogg_crc32(b) == 0x89A1897Fu);
    CHECK(ogg_crc32(b.subspan(4), ogg_crc32(b.first(4))) == 0x89A1897Fu);
    CHECK(ogg_crc32({}) == 0u);
}

TEST_CASE("record: Opus packet durations from the TOC byte") {
    CHECK(opus_packet_samples(std::vector<uint8_t>{0xF8}) == 960);        // CELT 20 ms
    CHECK(opus_packet_samples(std::vector<uint8_t>{0xE0}) == 120);        // CELT 2.5 ms
    CHECK(opus_packet_samples(std::vector<uint8_t>{0x08}) == 960);        // SILK NB 20 ms
    CHECK(opus_packet_samples(std::vector<uint8_t>{0x18}) == 2880);       // SILK NB 60 ms
    CHECK(opus_packet_samples(std::vector<uint8_t>{0x78}) == 960);        // hybrid FB 20 ms
    CHECK(opus_packet_samples(std::vector<uint8_t>{0x70}) == 480);        // hybrid FB 10 ms
    CHECK(opus_packet_samples(std::vector<uint8_t>{0xF9, 0, 0}) == 1920); // code 1: two frames
    CHECK(opus_packet_samples(std::vector<uint8_t>{0xFB, 0x03}) == 2880); // code 3, M = 3
    CHECK(opus_packet_samples(std::vector<uint8_t>{0xFB, 0x07}) == 0);    // 140 ms > 120 ms
    CHECK(opus_packet_samples(std::vector<uint8_t>{0xFB, 0x00}) == 0);    // M = 0
    CHECK(opus_packet_samples(std::vector<uint8_t>{0xFB}) == 0);          // count byte missing
    CHECK(opus_packet_samples({}) == 0);
    CHECK(opus_packet_samples(opus_filler_packet(960, 6)) == 5760);
    CHECK(opus_packet_samples(opus_filler_packet(120, 7)) == 840);
}

TEST_CASE("record: OpusHead fields (RFC 7845 §5.1)") {
    const auto h = make_opus_head(2, 312);
    CHECK(std::string(h.begin(), h.begin() + 8) == "OpusHead");
    CHECK(h[8] == 1);
    CHECK(h[9] == 2);
    CHECK((h[10] | (h[11] << 8)) == 312);
    CHECK(record_test::le32(&h[12]) == 48000u);
    CHECK(h[18] == 0);
}

TEST_CASE("record: Ogg Opus pages, granules and end of stream") {
    MemorySink sink;
    OggOpusConfig config;
    config.serial = 0x1234;
    OggOpusWriter w(config, sink);
    for (int i = 0; i < 150; ++i) // 3 s of 20 ms packets
        CHECK(w.write_packet(opus20(static_cast<uint8_t>(i)), int64_t{960} * i));
    w.finish();
    w.finish(); // idempotent
    CHECK(w.end_sample() == 144000);

    const auto pages = read_ogg(sink.data());
    REQUIRE(pages);
    REQUIRE(pages->size() >= 5);
    const auto& head = (*pages)[0];
    CHECK(head.flags == 0x02); // BOS
    CHECK(head.granule == 0);
    REQUIRE(head.packets.size() == 1);
    CHECK(std::string(head.packets[0].begin(), head.packets[0].begin() + 8) == "OpusHead");
    CHECK(head.packets[0][9] == 2);
    const auto& tags = (*pages)[1];
    CHECK(tags.granule == 0);
    REQUIRE(tags.packets.size() == 1);
    CHECK(std::string(tags.packets[0].begin(), tags.packets[0].begin() + 8) == "OpusTags");

    std::size_t audio_packets = 0;
    int64_t previous = 0;
    for (std::size_t i = 0; i < pages->size(); ++i) {
        const auto& p = (*pages)[i];
        CHECK(p.crc_ok);
        CHECK(p.serial == 0x1234u);
        CHECK(p.sequence == i);
        CHECK(p.granule >= previous);
        previous = p.granule;
        if (i >= 2) {
            audio_packets += p.packets.size();
            // A page spans at most ~1 s (flushed before the packet that would exceed it).
            CHECK(p.packets.size() <= 51);
            // The granule is the end of the page's last packet.
            CHECK(p.granule % 960 == 0);
        }
    }
    CHECK(audio_packets == 150);
    CHECK(pages->back().flags == 0x04); // EOS
    CHECK(pages->back().granule == 144000);
    CHECK(w.stats().packets == 150);
    CHECK(w.stats().filler_packets == 0);
}

TEST_CASE("record: Ogg Opus gaps are filled so the granule follows RTP time") {
    MemorySink sink;
    OggOpusWriter w({}, sink);
    CHECK(w.write_packet(opus20(), 0));
    CHECK(w.write_packet(opus20(), 960));
    // 200 ms of nothing (lost packets or DTX), then audio resumes on RTP time.
    CHECK(w.write_packet(opus20(), 960 * 12));
    // A gap of 30 ms: one 20 ms filler frame plus four 2.5 ms frames.
    CHECK(w.write_packet(opus20(), 960 * 13 + 1440));
    // Duplicate and overlapping packets are dropped.
    CHECK_FALSE(w.write_packet(opus20(), 960 * 13 + 1440));
    CHECK_FALSE(w.write_packet(opus20(), 960 * 13));
    // Malformed.
    CHECK_FALSE(w.write_packet(std::vector<uint8_t>{}, 960 * 20));
    w.finish();
    CHECK(w.end_sample() == 960 * 14 + 1440);
    CHECK(w.stats().dropped == 3);
    CHECK(w.stats().filler_packets == 4); // 6 + 4 frames of 20 ms, then 4 x 2.5 ms

    const auto pages = read_ogg(sink.data());
    REQUIRE(pages);
    int64_t samples = 0;
    for (std::size_t i = 2; i < pages->size(); ++i)
        for (const auto& pk : (*pages)[i].packets)
            samples += opus_packet_samples(pk);
    CHECK(samples == 960 * 14 + 1440);
    CHECK(pages->back().granule == 960 * 14 + 1440);
}

TEST_CASE("record: Ogg Opus discontinuities, pre-skip, an empty stream") {
    SUBCASE("a huge jump continues right after the audio so far") {
        MemorySink sink;
        OggOpusConfig c;
        c.max_gap_samples = 48000;
        OggOpusWriter w(c, sink);
        CHECK(w.write_packet(opus20(), 0));
        CHECK(w.write_packet(opus20(), 48000 * 100));
        CHECK(w.write_packet(opus20(), 48000 * 100 + 960));
        w.finish();
        CHECK(w.end_sample() == 960 * 3);
        CHECK(w.stats().filler_packets == 0);
    }
    SUBCASE("pre-skip is added to every granule") {
        MemorySink sink;
        OggOpusConfig c;
        c.pre_skip = 312;
        OggOpusWriter w(c, sink);
        CHECK(w.write_packet(opus20(), 0));
        w.finish();
        const auto pages = read_ogg(sink.data());
        REQUIRE(pages);
        CHECK(pages->back().granule == 960 + 312);
        CHECK(((*pages)[0].packets[0][10] | ((*pages)[0].packets[0][11] << 8)) == 312);
    }
    SUBCASE("no packets: headers and an empty EOS page") {
        MemorySink sink;
        OggOpusWriter w({}, sink);
        w.finish();
        const auto pages = read_ogg(sink.data());
        REQUIRE(pages);
        REQUIRE(pages->size() == 3);
        CHECK(pages->back().flags == 0x04);
        CHECK(pages->back().packets.empty());
        CHECK_FALSE(w.write_packet(opus20(), 0)); // after finish()
    }
    SUBCASE("a start before the file is dropped; flush() ends a page") {
        MemorySink sink;
        OggOpusWriter w({}, sink);
        CHECK_FALSE(w.write_packet(opus20(), -960));
        CHECK(w.write_packet(opus20(), 0));
        const std::size_t before = sink.data().size();
        w.flush();
        CHECK(sink.data().size() > before);
        const auto pages = read_ogg(sink.data());
        REQUIRE(pages);
        CHECK(pages->back().granule == 960);
        CHECK(pages->back().flags == 0);
    }
}

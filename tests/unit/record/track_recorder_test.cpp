// TrackRecorder: RTP packets of one track in, a file out. Opus times from RTP timestamps
// (RFC 7587: 48 kHz), VP8 frames reassembled (RFC 7741), keyframe waits after loss.
#include "record/track_recorder.hpp"
#include "record_test_util.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace rtc::record;
using record_test::make_rtp;

namespace {

void feed(TrackRecorder& rec, const std::vector<uint8_t>& packet) {
    const auto v = rtc::rtp::RtpView::parse(packet);
    REQUIRE(v);
    rec.on_rtp(*v);
}

// Sends one VP8 frame as RTP packets of at most 100 payload octets; returns the next sequence.
uint16_t send_vp8(TrackRecorder& rec, uint16_t seq, uint32_t ts, const std::vector<uint8_t>& f,
                  uint16_t picture_id, int skip_packet = -1) {
    const auto payloads = record_test::vp8_payloads(f, picture_id, 100);
    for (std::size_t k = 0; k < payloads.size(); ++k, ++seq)
        if (static_cast<int>(k) != skip_packet)
            feed(rec, make_rtp(96, seq, ts, 0x42, k + 1 == payloads.size(), payloads[k]));
    return seq;
}

} // namespace

TEST_CASE("record: Opus track to Ogg with timestamps from RTP across the 2^32 wrap") {
    MemorySink sink;
    TrackRecorderConfig c;
    c.codec = rtc::rtp::Codec::Opus;
    TrackRecorder rec(c, sink);
    CHECK(TrackRecorder::file_extension(c.codec) == "ogg");
    const std::vector<uint8_t> opus{0xF8, 1, 2, 3};
    uint32_t ts = 0xFFFFFFFFu - 960 * 10;
    for (uint16_t i = 0; i < 50; ++i, ts += 960)
        if (i != 20) // one lost packet
            feed(rec, make_rtp(111, i, ts, 0x77, false, opus));
    rec.finish();
    rec.finish();
    const auto pages = record_test::read_ogg(sink.data());
    REQUIRE(pages);
    CHECK(pages->front().serial == 0x77u); // the SSRC
    CHECK(pages->back().granule == 50 * 960);
    CHECK(pages->back().flags == 0x04);
    const auto s = rec.stats();
    CHECK(s.packets == 49);
    CHECK(s.frames_written == 49);
    CHECK(s.bytes == sink.data().size());
    CHECK_FALSE(rec.wants_keyframe());
}

TEST_CASE("record: Opus start offset and an empty track") {
    SUBCASE("offset") {
        MemorySink sink;
        TrackRecorderConfig c;
        c.start_offset_ms = 100;
        c.ogg_serial = 9;
        TrackRecorder rec(c, sink);
        feed(rec, make_rtp(111, 1, 5000, 1, false, std::vector<uint8_t>{0xF8, 0}));
        rec.finish();
        const auto pages = record_test::read_ogg(sink.data());
        REQUIRE(pages);
        CHECK(pages->front().serial == 9u);
        CHECK(pages->back().granule == 4800 + 960); // 100 ms of concealment first
    }
    SUBCASE("no packets") {
        MemorySink sink;
        TrackRecorder rec({}, sink);
        rec.finish();
        const auto pages = record_test::read_ogg(sink.data());
        REQUIRE(pages);
        CHECK(pages->size() == 3);
    }
}

TEST_CASE("record: VP8 track waits for a keyframe, and again after loss") {
    MemorySink sink;
    TrackRecorderConfig c;
    c.codec = rtc::rtp::Codec::Vp8;
    TrackRecorder rec(c, sink);
    CHECK(TrackRecorder::supports(c.codec));
    CHECK(rec.wants_keyframe());
    uint16_t seq = 1;
    uint32_t ts = 1000;
    const auto key = record_test::fake_vp8_frame(true, 350, 320, 240);
    const auto inter = record_test::fake_vp8_frame(false, 250);
    seq = send_vp8(rec, seq, ts, inter, 1); // before any keyframe: skipped
    ts += 3000;
    seq = send_vp8(rec, seq, ts, key, 2);
    CHECK_FALSE(rec.wants_keyframe());
    ts += 3000;
    seq = send_vp8(rec, seq, ts, inter, 3);
    ts += 3000;
    seq = send_vp8(rec, seq, ts, inter, 4, 1); // loses its second packet
    ts += 3000;
    seq = send_vp8(rec, seq, ts, inter, 5); // complete, but refers to the lost frame
    CHECK(rec.wants_keyframe());
    ts += 3000;
    seq = send_vp8(rec, seq, ts, key, 6);
    CHECK_FALSE(rec.wants_keyframe());
    ts += 3000;
    send_vp8(rec, seq, ts, inter, 7);
    rec.finish();

    const auto s = rec.stats();
    CHECK(s.frames_written == 4); // key, inter, key, inter
    CHECK(s.frames_dropped == 3); // first inter, the broken one, the one after it
    CHECK(s.bytes == sink.data().size());
    // The file holds 4 SimpleBlocks whose payloads are the frames, with VP8 size in the header.
    const auto& d = sink.data();
    std::size_t blocks = 0;
    for (std::size_t i = 0; i + 1 < d.size(); ++i)
        if (d[i] == 0xA3 && i + 6 < d.size()) {
            const auto e = record_test::read_element(d, i);
            if (e && e->size != record_test::Element::kUnknown &&
                (e->size == key.size() + 4 || e->size == inter.size() + 4) &&
                d[i + e->header] == 0x81) {
                ++blocks;
                i += e->header + e->size - 1;
            }
        }
    CHECK(blocks == 4);
}

TEST_CASE("record: unsupported codecs and malformed payloads record nothing harmful") {
    MemorySink sink;
    TrackRecorderConfig c;
    c.codec = rtc::rtp::Codec::H264;
    TrackRecorder rec(c, sink);
    CHECK_FALSE(TrackRecorder::supports(c.codec));
    CHECK(TrackRecorder::file_extension(c.codec).empty());
    feed(rec, make_rtp(102, 1, 1, 1, true, std::vector<uint8_t>{0x65, 0x88}));
    rec.finish();
    CHECK(sink.data().empty());
    CHECK(rec.stats().packets == 0);

    MemorySink vsink;
    TrackRecorderConfig v;
    v.codec = rtc::rtp::Codec::Vp9;
    TrackRecorder vrec(v, vsink);
    feed(vrec, make_rtp(98, 1, 1, 1, true, std::vector<uint8_t>{0x8C}));             // truncated
    feed(vrec, make_rtp(98, 2, 1, 1, true, std::vector<uint8_t>{0x8C, 0x05, 0x86})); // inter
    vrec.finish();
    CHECK(vrec.stats().frames_written == 0);
    CHECK(vrec.wants_keyframe());
}

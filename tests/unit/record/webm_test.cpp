// WebM writer: EBML VINTs (RFC 8794 §4), the header elements, Clusters of unknown size with
// SimpleBlocks (RFC 9559 §10.2), keyframe flags and cluster starts, Duration on finish().
#include "record/ebml.hpp"
#include "record/opus_packet.hpp"
#include "record/webm_writer.hpp"
#include "record_test_util.hpp"

#include <doctest/doctest.h>

#include <bit>
#include <cstring>
#include <string>
#include <vector>

using namespace rtc::record;
using record_test::Element;
using record_test::read_element;

namespace {

struct Block {
    uint8_t track = 0;
    int64_t time = 0; // cluster timestamp + relative
    bool key = false;
    std::size_t size = 0;
};

struct Parsed {
    bool ok = false;
    std::string doc_type;
    bool segment_unknown = false;
    uint64_t timestamp_scale = 0;
    double duration = -1;
    std::vector<std::string> codecs;
    uint64_t width = 0, height = 0;
    std::vector<uint8_t> codec_private;
    std::vector<int64_t> clusters;
    std::vector<Block> blocks;
};

uint64_t read_uint(std::span<const uint8_t> d, const Element& e) {
    uint64_t v = 0;
    for (std::size_t i = 0; i < e.size; ++i)
        v = (v << 8) | d[e.offset + e.header + i];
    return v;
}

// Walks the file: level-1 children of the Segment, recursing into the masters we check.
Parsed parse(std::span<const uint8_t> d) {
    Parsed out;
    auto ebml = read_element(d, 0);
    if (!ebml || ebml->id != ebml::id::kEbml)
        return out;
    for (std::size_t p = ebml->header; p < ebml->header + ebml->size;) {
        auto c = read_element(d, p);
        if (!c)
            return out;
        if (c->id == ebml::id::kDocType)
            out.doc_type.assign(d.begin() + static_cast<std::ptrdiff_t>(p + c->header),
                                d.begin() + static_cast<std::ptrdiff_t>(p + c->header + c->size));
        p += c->header + c->size;
    }
    auto seg = read_element(d, ebml->header + ebml->size);
    if (!seg || seg->id != ebml::id::kSegment)
        return out;
    out.segment_unknown = seg->size == Element::kUnknown;
    int64_t cluster_time = 0;
    std::size_t p = seg->offset + seg->header;
    // Descend into these masters; others are skipped whole.
    auto is_master = [](uint32_t id) {
        return id == ebml::id::kInfo || id == ebml::id::kTracks || id == ebml::id::kTrackEntry ||
               id == ebml::id::kVideo || id == ebml::id::kCluster;
    };
    while (p < d.size()) {
        auto e = read_element(d, p);
        if (!e)
            return out;
        const std::size_t body = p + e->header;
        if (is_master(e->id)) {
            if (e->id == ebml::id::kCluster) {
                if (e->size != Element::kUnknown)
                    return out;
                out.clusters.push_back(0);
            }
            p = body;
            continue;
        }
        if (e->size == Element::kUnknown || e->size > d.size() - body)
            return out;
        switch (e->id) {
        case ebml::id::kTimestampScale:
            out.timestamp_scale = read_uint(d, *e);
            break;
        case ebml::id::kDuration: {
            const uint64_t bits = read_uint(d, *e);
            out.duration = std::bit_cast<double>(bits);
            break;
        }
        case ebml::id::kCodecId:
            out.codecs.emplace_back(d.begin() + static_cast<std::ptrdiff_t>(body),
                                    d.begin() + static_cast<std::ptrdiff_t>(body + e->size));
            break;
        case ebml::id::kCodecPrivate:
            out.codec_private.assign(d.begin() + static_cast<std::ptrdiff_t>(body),
                                     d.begin() + static_cast<std::ptrdiff_t>(body + e->size));
            break;
        case ebml::id::kPixelWidth:
            out.width = read_uint(d, *e);
            break;
        case ebml::id::kPixelHeight:
            out.height = read_uint(d, *e);
            break;
        case ebml::id::kTimestamp:
            cluster_time = static_cast<int64_t>(read_uint(d, *e));
            out.clusters.back() = cluster_time;
            break;
        case ebml::id::kSimpleBlock: {
            if (e->size < 4)
                return out;
            Block b;
            b.track = d[body] & 0x7F;
            b.time = cluster_time + static_cast<int16_t>((d[body + 1] << 8) | d[body + 2]);
            b.key = (d[body + 3] & 0x80) != 0;
            b.size = e->size - 4;
            out.blocks.push_back(b);
            break;
        }
        default:
            break;
        }
        p = body + e->size;
    }
    out.ok = p == d.size();
    return out;
}

std::vector<uint8_t> frame(std::size_t n, uint8_t fill) {
    return std::vector<uint8_t>(n, fill);
}

} // namespace

TEST_CASE("record: EBML variable-size integers (RFC 8794 §4)") {
    CHECK(ebml::vint_length(0) == 1);
    CHECK(ebml::vint_length(126) == 1);
    CHECK(ebml::vint_length(127) == 2); // all ones in 1 octet is reserved
    CHECK(ebml::vint_length(16382) == 2);
    CHECK(ebml::vint_length(16383) == 3);
    CHECK(ebml::vint_length((uint64_t{1} << 56) - 2) == 8);
    CHECK(ebml::vint_length((uint64_t{1} << 56) - 1) == 0);
    uint8_t b[8] = {};
    ebml::put_vint(b, 2, 1);
    CHECK(b[0] == 0x82);
    ebml::put_vint(b, 500, 2);
    CHECK(b[0] == 0x41);
    CHECK(b[1] == 0xF4);
    ebml::put_vint(b, ebml::kUnknownSize, 8);
    CHECK(b[0] == 0x01);
    CHECK(b[7] == 0xFF);
    CHECK(ebml::id_length(0xA3) == 1);
    CHECK(ebml::id_length(0x4286) == 2);
    CHECK(ebml::id_length(0x2AD7B1) == 3);
    CHECK(ebml::id_length(0x1A45DFA3) == 4);
}

TEST_CASE("record: WebM header, clusters and blocks") {
    MemorySink sink;
    WebmConfig c;
    c.video = VideoCodec::Vp8;
    WebmWriter w(c, sink);
    w.set_video_size(640, 360);
    CHECK_FALSE(w.write_video(frame(100, 1), 0, false)); // must start on a keyframe
    CHECK(w.write_video(frame(100, 2), 0, true));
    w.set_video_size(1, 1); // ignored: header already written
    for (int i = 1; i < 30; ++i)
        CHECK(w.write_video(frame(50, 3), i * 33, false));
    CHECK(w.write_video(frame(100, 4), 1000, true));      // keyframe: new cluster
    CHECK_FALSE(w.write_video(frame(50, 5), 999, false)); // backwards
    CHECK(w.write_video(frame(50, 6), 1033, false));
    CHECK(w.write_video(frame(50, 7), 7000, false)); // > 5 s after the cluster: new cluster
    CHECK_FALSE(w.write_audio(frame(3, 8), 10));     // no audio track
    CHECK_FALSE(w.write_video({}, 7100, false));     // empty frame
    w.finish();
    CHECK_FALSE(w.write_video(frame(50, 9), 8000, false)); // after finish

    const auto p = parse(sink.data());
    REQUIRE(p.ok);
    CHECK(p.doc_type == "webm");
    CHECK(p.segment_unknown);
    CHECK(p.timestamp_scale == 1000000);
    REQUIRE(p.codecs.size() == 1);
    CHECK(p.codecs[0] == "V_VP8");
    CHECK(p.width == 640);
    CHECK(p.height == 360);
    CHECK(p.clusters == std::vector<int64_t>{0, 1000, 7000});
    REQUIRE(p.blocks.size() == 33);
    CHECK(p.blocks[0].key);
    CHECK(p.blocks[0].size == 100);
    CHECK_FALSE(p.blocks[1].key);
    CHECK(p.blocks[29].time == 29 * 33);
    CHECK(p.blocks[30].key);
    CHECK(p.blocks[30].time == 1000);
    CHECK(p.blocks[32].time == 7000);
    for (const auto& b : p.blocks)
        CHECK(b.track == 1);
    // MemorySink can overwrite: Duration = last frame + its interval, capped at 1 s.
    CHECK(p.duration == doctest::Approx(8000.0));
    CHECK(w.stats().video_frames == 33);
    CHECK(w.stats().dropped == 5);
    CHECK(w.stats().clusters == 3);
    CHECK(w.stats().bytes == sink.data().size());
}

TEST_CASE("record: WebM audio and video tracks, streaming sink") {
    std::vector<uint8_t> out;
    CallbackSink sink(
        [&out](std::span<const uint8_t> b) { out.insert(out.end(), b.begin(), b.end()); });
    WebmConfig c;
    c.video = VideoCodec::Vp9;
    c.audio = true;
    c.audio_channels = 2;
    WebmWriter w(c, sink);
    CHECK(w.video_track() == 1);
    CHECK(w.audio_track() == 2);
    const std::vector<uint8_t> opus{0xF8, 1, 2, 3};
    CHECK(w.write_audio(opus, 0));
    CHECK(w.write_video(frame(10, 1), 0, true));
    CHECK(w.write_audio(opus, 20));
    CHECK(w.write_video(frame(10, 2), 33, false));
    CHECK(w.write_audio(opus, 40));
    CHECK(w.write_video(frame(10, 1), 5500, true)); // keyframe: new cluster at 5500
    CHECK(w.write_audio(opus, 5490));               // relative -10 in the new cluster
    CHECK_FALSE(w.write_audio(opus, 30));           // backwards for the audio track
    w.finish();
    CHECK(w.duration_ms() == doctest::Approx(6500.0)); // 5500 + the last interval, capped
    const auto p = parse(out);
    REQUIRE(p.ok);
    REQUIRE(p.codecs.size() == 2);
    CHECK(p.codecs[0] == "V_VP9");
    CHECK(p.codecs[1] == "A_OPUS");
    CHECK(p.width == 0); // unknown size: no Video element
    REQUIRE(p.codec_private.size() == kOpusHeadSize);
    CHECK(std::memcmp(p.codec_private.data(), "OpusHead", 8) == 0);
    CHECK(p.duration < 0); // could not seek: no Duration
    CHECK(p.clusters == std::vector<int64_t>{0, 5500});
    REQUIRE(p.blocks.size() == 7);
    CHECK(p.blocks[0].track == 2);
    CHECK(p.blocks[0].key);
    CHECK(p.blocks[6].track == 2);
    CHECK(p.blocks[6].time == 5490);
}

TEST_CASE("record: WebM with nothing written is still a valid header") {
    MemorySink sink;
    WebmWriter w({}, sink);
    w.finish();
    w.finish();
    const auto p = parse(sink.data());
    REQUIRE(p.ok);
    CHECK(p.blocks.empty());
    CHECK(p.duration == doctest::Approx(0.0));
}

// End-to-end check with FFmpeg's own tools: real Opus and VP8/VP9 data from ffmpeg, packetized
// into RTP here (RFC 7587, RFC 7741, RFC 9628), recorded by TrackRecorder into files, then read
// back by ffprobe (codec, size, frame count, duration) and decoded by ffmpeg without errors.
// Skips (with a message) when ffmpeg/ffprobe are not installed.
#include "record/track_recorder.hpp"
#include "record_test_util.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

using namespace rtc::record;
namespace fs = std::filesystem;

namespace {

bool have_ffmpeg() {
    return std::system("command -v ffprobe >/dev/null 2>&1 && command -v ffmpeg >/dev/null 2>&1") ==
           0;
}

// Runs a shell command, returns its stdout and exit status.
std::string run(const std::string& cmd, int& status) {
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr) {
        status = -1;
        return out;
    }
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
        out.append(buf, n);
    status = ::pclose(p);
    return out;
}

std::vector<uint8_t> read_file(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

struct TempDir {
    fs::path path;
    TempDir() {
        std::string t = (fs::temp_directory_path() / "rtc_record_XXXXXX").string();
        if (::mkdtemp(t.data()) != nullptr)
            path = t;
    }
    ~TempDir() {
        std::error_code ec;
        if (!path.empty())
            fs::remove_all(path, ec);
    }
};

// A file the way the SFU will write one: appends, and may seek back to patch.
class FileSink final : public ByteSink {
public:
    FileSink(const fs::path& p, bool seekable)
        : file_(std::fopen(p.c_str(), "wb")), seekable_(seekable) {}
    ~FileSink() override {
        if (file_ != nullptr)
            std::fclose(file_);
    }
    FileSink(const FileSink&) = delete;
    FileSink& operator=(const FileSink&) = delete;
    void write(std::span<const uint8_t> b) override {
        if (file_ != nullptr && !b.empty())
            std::fwrite(b.data(), 1, b.size(), file_);
    }
    bool overwrite(uint64_t offset, std::span<const uint8_t> b) override {
        if (!seekable_ || file_ == nullptr)
            return false;
        std::fseek(file_, static_cast<long>(offset), SEEK_SET);
        std::fwrite(b.data(), 1, b.size(), file_);
        std::fseek(file_, 0, SEEK_END);
        return true;
    }
    bool ok() const { return file_ != nullptr; }

private:
    std::FILE* file_;
    bool seekable_;
};

// IVF: 32-octet file header, then per frame 4-octet size, 8-octet pts, data.
std::vector<std::vector<uint8_t>> read_ivf(const std::vector<uint8_t>& d) {
    std::vector<std::vector<uint8_t>> frames;
    if (d.size() < 32 || d[0] != 'D' || d[1] != 'K' || d[2] != 'I' || d[3] != 'F')
        return frames;
    std::size_t pos = (d[6] | (d[7] << 8));
    while (d.size() - pos >= 12) {
        const std::size_t n = record_test::le32(&d[pos]);
        pos += 12;
        if (d.size() - pos < n)
            break;
        frames.emplace_back(d.begin() + static_cast<std::ptrdiff_t>(pos),
                            d.begin() + static_cast<std::ptrdiff_t>(pos + n));
        pos += n;
    }
    return frames;
}

// RFC 9628 §4.2 non-flexible without layer indices: I (15-bit id), P, B on the first, E on the
// last packet of the frame.
std::vector<std::vector<uint8_t>> vp9_payloads(std::span<const uint8_t> frame, uint16_t pid,
                                               bool key, std::size_t mtu) {
    std::vector<std::vector<uint8_t>> out;
    std::size_t pos = 0;
    do {
        const std::size_t n = std::min(mtu, frame.size() - pos);
        uint8_t b0 = 0x80;
        if (!key)
            b0 |= 0x40;
        if (pos == 0)
            b0 |= 0x08;
        if (pos + n == frame.size())
            b0 |= 0x04;
        std::vector<uint8_t> p{b0, static_cast<uint8_t>(0x80 | ((pid >> 8) & 0x7F)),
                               static_cast<uint8_t>(pid)};
        p.insert(p.end(), frame.begin() + static_cast<std::ptrdiff_t>(pos),
                 frame.begin() + static_cast<std::ptrdiff_t>(pos + n));
        out.push_back(std::move(p));
        pos += n;
    } while (pos < frame.size());
    return out;
}

// ffprobe's JSON; its stderr (errors and warnings) must be empty.
nlohmann::json probe(const fs::path& file) {
    int status = 0;
    const fs::path err = file.string() + ".err";
    const std::string out = run("ffprobe -v warning -count_frames -show_streams -show_format "
                                "-of json '" +
                                    file.string() + "' 2>'" + err.string() + "'",
                                status);
    const auto errors = read_file(err);
    const std::string text(errors.begin(), errors.end());
    INFO(text);
    CHECK(status == 0);
    CHECK(text.empty());
    return nlohmann::json::parse(out, nullptr, false);
}

double number(const nlohmann::json& j, const char* key) {
    if (!j.contains(key))
        return -1;
    const auto& v = j[key];
    if (v.is_string())
        return std::strtod(v.get<std::string>().c_str(), nullptr);
    return v.is_number() ? v.get<double>() : -1;
}

void decodes_cleanly(const fs::path& file) {
    int status = 0;
    const std::string out =
        run("ffmpeg -nostdin -v error -i '" + file.string() + "' -f null - 2>&1", status);
    INFO(out);
    CHECK(status == 0);
    CHECK(out.empty());
}

// Encodes 2 s of test pattern with libvpx, records it through RTP, checks the file with ffprobe.
void record_video(const fs::path& dir, bool vp9, bool seekable) {
    const fs::path ivf = dir / (vp9 ? "in9.ivf" : "in8.ivf");
    int status = 0;
    const std::string enc = vp9 ? "libvpx-vp9 -deadline realtime -lag-in-frames 0" : "libvpx";
    run("ffmpeg -nostdin -v error -y -f lavfi -i testsrc=size=320x240:rate=30 -t 2 -c:v " + enc +
            " -g 30 -f ivf '" + ivf.string() + "' 2>&1",
        status);
    REQUIRE(status == 0);
    const auto frames = read_ivf(read_file(ivf));
    REQUIRE(frames.size() == 60);

    const fs::path out =
        dir / (std::string(vp9 ? "vp9" : "vp8") + (seekable ? "" : "_stream") + ".webm");
    {
        FileSink sink(out, seekable);
        REQUIRE(sink.ok());
        TrackRecorderConfig c;
        c.codec = vp9 ? rtc::rtp::Codec::Vp9 : rtc::rtp::Codec::Vp8;
        TrackRecorder rec(c, sink);
        uint16_t seq = 65000;      // wraps during the test
        uint32_t ts = 4294000000u; // wraps too
        for (std::size_t i = 0; i < frames.size(); ++i) {
            const auto& f = frames[i];
            const bool key = vp9 ? ((f[0] >> 2) & 1) == 0 : (f[0] & 1) == 0;
            const auto payloads =
                vp9 ? vp9_payloads(f, static_cast<uint16_t>(i), key, 1000)
                    : record_test::vp8_payloads(f, static_cast<uint16_t>(i), 1000);
            for (std::size_t k = 0; k < payloads.size(); ++k) {
                const auto pkt = record_test::make_rtp(96, seq++, ts, 0xCAFE,
                                                       k + 1 == payloads.size(), payloads[k]);
                const auto v = rtc::rtp::RtpView::parse(pkt);
                REQUIRE(v);
                rec.on_rtp(*v);
            }
            ts += 3000; // 90 kHz / 30 fps
        }
        rec.finish();
        CHECK(rec.stats().frames_written == 60);
        CHECK(rec.stats().frames_dropped == 0);
    }
    const auto j = probe(out);
    REQUIRE(j.is_object());
    REQUIRE(j["streams"].size() == 1);
    const auto& s = j["streams"][0];
    CHECK(s["codec_name"] == (vp9 ? "vp9" : "vp8"));
    CHECK(s["width"] == 320);
    CHECK(s["height"] == 240);
    CHECK(number(s, "nb_read_frames") == 60);
    const double duration = number(j["format"], "duration");
    if (seekable) {
        CHECK(duration == doctest::Approx(2.0).epsilon(0.025));
    } else {
        // A streamed file has no Duration; FFmpeg then reports none (noted for the lead).
        MESSAGE("streamed WebM (no seek), ffprobe format duration: " << duration);
    }
    decodes_cleanly(out);
}

} // namespace

TEST_CASE("record: ffprobe reads the Ogg Opus recording (duration from RTP, with loss)") {
    if (!have_ffmpeg()) {
        MESSAGE("ffmpeg/ffprobe not installed: skipped");
        return;
    }
    TempDir dir;
    REQUIRE(!dir.path.empty());
    const fs::path src = dir.path / "in.opus";
    int status = 0;
    run("ffmpeg -nostdin -v error -y -f lavfi -i sine=frequency=440:duration=3 -ac 2 -c:a libopus "
        "-b:a 48k -frame_duration 20 '" +
            src.string() + "' 2>&1",
        status);
    REQUIRE(status == 0);
    const auto pages = record_test::read_ogg(read_file(src));
    REQUIRE(pages);
    std::vector<std::vector<uint8_t>> packets;
    for (std::size_t i = 2; i < pages->size(); ++i)
        for (const auto& p : (*pages)[i].packets)
            if (packets.size() < 150) // libopus adds one for its pre-skip
                packets.push_back(p);
    REQUIRE(packets.size() == 150);

    const fs::path out = dir.path / "audio.ogg";
    {
        FileSink sink(out, false);
        REQUIRE(sink.ok());
        TrackRecorder rec({}, sink);
        uint32_t ts = 123456;
        for (std::size_t i = 0; i < packets.size(); ++i) {
            const bool lost = i >= 40 && i < 50; // 200 ms lost: the granule must not shrink
            if (!lost) {
                const auto pkt = record_test::make_rtp(111, static_cast<uint16_t>(i), ts, 0xAB,
                                                       false, packets[i]);
                const auto v = rtc::rtp::RtpView::parse(pkt);
                REQUIRE(v);
                rec.on_rtp(*v);
            }
            ts += opus_packet_samples(packets[i]);
        }
        rec.finish();
        CHECK(rec.stats().frames_written == 140);
    }
    const auto j = probe(out);
    REQUIRE(j.is_object());
    REQUIRE(j["streams"].size() == 1);
    CHECK(j["streams"][0]["codec_name"] == "opus");
    CHECK(j["streams"][0]["channels"] == 2);
    CHECK(number(j["format"], "duration") == doctest::Approx(3.0).epsilon(0.0167));
    decodes_cleanly(out);
}

TEST_CASE("record: ffprobe reads the VP8 WebM recording (60 frames, 2.0 s)") {
    if (!have_ffmpeg()) {
        MESSAGE("ffmpeg/ffprobe not installed: skipped");
        return;
    }
    TempDir dir;
    REQUIRE(!dir.path.empty());
    record_video(dir.path, false, true);
    record_video(dir.path, false, false);
}

TEST_CASE("record: ffprobe reads the VP9 WebM recording (60 frames, 2.0 s)") {
    if (!have_ffmpeg()) {
        MESSAGE("ffmpeg/ffprobe not installed: skipped");
        return;
    }
    TempDir dir;
    REQUIRE(!dir.path.empty());
    record_video(dir.path, true, true);
}

// libFuzzer target for the recording path: the input is cut into RTP packets (2-octet length
// prefixes) and fed to a VP8, a VP9 and an Opus TrackRecorder; the descriptor and key frame
// parsers also see the raw input. Output goes to memory; nothing may read out of bounds.
#include "record/frame_assembler.hpp"
#include "record/opus_packet.hpp"
#include "record/track_recorder.hpp"
#include "record/vp8_payload.hpp"
#include "record/vp9_payload.hpp"

#include <cstdint>
#include <cstdlib>
#include <span>

using namespace rtc::record;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::span<const uint8_t> in(data, size);
    (void)parse_vp8_descriptor(in);
    (void)parse_vp9_descriptor(in);
    (void)vp8_keyframe_size(in);
    (void)vp9_keyframe_size(in);
    (void)opus_packet_samples(in);

    MemorySink sinks[3];
    TrackRecorderConfig configs[3];
    configs[0].codec = rtc::rtp::Codec::Vp8;
    configs[1].codec = rtc::rtp::Codec::Vp9;
    configs[2].codec = rtc::rtp::Codec::Opus;
    configs[0].max_frame_size = configs[1].max_frame_size = 4096;
    TrackRecorder v8(configs[0], sinks[0]);
    TrackRecorder v9(configs[1], sinks[1]);
    TrackRecorder op(configs[2], sinks[2]);
    std::size_t pos = 0;
    while (size - pos >= 2) {
        const std::size_t n = (std::size_t{data[pos]} << 8 | data[pos + 1]) % 1500;
        pos += 2;
        if (n > size - pos)
            break;
        if (auto v = rtc::rtp::RtpView::parse(in.subspan(pos, n))) {
            v8.on_rtp(*v);
            v9.on_rtp(*v);
            op.on_rtp(*v);
        }
        pos += n;
    }
    v8.finish();
    v9.finish();
    op.finish();
    if (v8.stats().bytes != sinks[0].data().size() || op.stats().bytes != sinks[2].data().size())
        std::abort();
    return 0;
}

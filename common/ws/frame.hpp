#pragma once
// WebSocket framing (RFC 6455 §5), sans-I/O: a decoder that turns received bytes into whole
// messages and control frames, and writers that append frames to a caller-owned string.
//
//   rtc::ws::Decoder decoder(rtc::ws::Role::Server, {.max_message = 64 * 1024});
//   std::size_t used = 0;
//   auto event = decoder.next(bytes, used);          // call again on bytes.subspan(used)
//   switch (event.kind) {
//   case EventKind::NeedMore: break;                 // keep the unused bytes, read more
//   case EventKind::Message: handle(event.payload, event.opcode == Opcode::Binary); break;
//   case EventKind::Ping: rtc::ws::write_frame(out, Opcode::Pong, event.payload, role); break;
//   case EventKind::Close: rtc::ws::write_close(out, event.close_code, {}, role); break;
//   case EventKind::Error: rtc::ws::write_close(out, event.close_code, event.reason, role);
//   }
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace rtc::ws {

enum class Opcode : uint8_t {
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
};

// Server: every received frame must be masked and sent frames are not; Client: the reverse
// (RFC 6455 §5.1, §5.3).
enum class Role : uint8_t { Server, Client };

// Close status codes (RFC 6455 §7.4.1).
namespace close_code {
inline constexpr uint16_t kNormal = 1000;
inline constexpr uint16_t kGoingAway = 1001;
inline constexpr uint16_t kProtocolError = 1002;
inline constexpr uint16_t kUnsupportedData = 1003;
inline constexpr uint16_t kNoStatus = 1005;       // never sent: "the Close frame had no code"
inline constexpr uint16_t kAbnormal = 1006;       // never sent: "the connection dropped"
inline constexpr uint16_t kInvalidPayload = 1007; // e.g. a text message that is not UTF-8
inline constexpr uint16_t kPolicyViolation = 1008;
inline constexpr uint16_t kMessageTooBig = 1009;
inline constexpr uint16_t kInternalError = 1011;
inline constexpr uint16_t kTryAgainLater = 1013;
} // namespace close_code

// True for codes a peer may put in a Close frame (RFC 6455 §7.4: 1000-1003, 1007-1011,
// 1012-1014 as registered since, 3000-4999).
bool is_valid_close_code(uint16_t code);

struct DecoderLimits {
    std::size_t max_message = 64 * 1024;       // payload of a whole (reassembled) message
    std::size_t max_frames_per_message = 1024; // fragments of one message
};

enum class EventKind : uint8_t {
    NeedMore, // no complete frame yet; `used` says what was consumed (may be 0)
    Message,  // a complete Text or Binary message (fragments reassembled, text UTF-8 checked)
    Ping,
    Pong,
    Close,    // the peer's Close frame: close_code (kNoStatus if none) and reason
    Error,    // the input broke the protocol; send close_code, then close. Decoder is dead.
};

struct Event {
    EventKind kind = EventKind::NeedMore;
    Opcode opcode = Opcode::Continuation; // Text or Binary for Message
    // Message, Ping, Pong: the unmasked payload. Valid until the next call to next().
    std::string_view payload;
    // Close: the peer's code (kNoStatus if absent). Error: the code to send:
    // kProtocolError (unmasked/masked wrongly, reserved bits or opcodes, fragmented or >125-byte
    // control frames, bad continuation, bad close payload, non-minimal lengths),
    // kInvalidPayload (text or close reason not UTF-8), kMessageTooBig (over the limits).
    uint16_t close_code = 0;
    // Close: the peer's reason (UTF-8 checked). Error: a short description, e.g. "unmasked frame".
    std::string_view reason;
};

class Decoder {
public:
    explicit Decoder(Role role, DecoderLimits limits = {});

    // Decodes from the start of `input` (bytes not consumed by earlier calls). Sets `used` to
    // the bytes consumed by this call. Control frames may arrive between the fragments of a
    // message (RFC 6455 §5.4). Once it returned Error, it returns the same Error forever.
    // After the peer's Close, later bytes are consumed and ignored (RFC 6455 §5.5.1).
    // A frame is consumed only whole, so the caller keeps at most one frame's bytes (a frame
    // header announcing more than max_message is an Error at once, before its payload arrives).
    Event next(std::span<const uint8_t> input, std::size_t& used);

    // Bytes held for a message whose fragments have not all arrived.
    std::size_t buffered() const {
        return message_opcode_ == Opcode::Continuation ? 0 : message_.size();
    }
    const DecoderLimits& limits() const { return limits_; }

    // Incremental UTF-8 (RFC 3629) check of a text message across its fragments.
    struct Utf8State {
        uint8_t need = 0;   // continuation bytes still expected
        uint8_t low = 0x80; // range of the next continuation byte
        uint8_t high = 0xBF;
    };

private:
    Event fail(uint16_t code, std::string_view reason);
    Event control_frame(Opcode opcode, std::span<const uint8_t> payload, const uint8_t* mask);

    Role role_;
    DecoderLimits limits_;
    bool failed_ = false;
    bool closed_ = false; // the peer's Close arrived
    Utf8State utf8_;
    Event error_;
    Opcode message_opcode_ = Opcode::Continuation; // Continuation: no message in progress
    std::size_t fragments_ = 0;
    std::string message_; // reassembled payload of the message in progress
    std::string control_; // unmasked payload of the last control frame
};

// Appends one frame. Role::Client masks the payload with a fresh random key (RFC 6455 §5.3).
// `fin` false starts or continues a fragmented message.
void write_frame(std::string& out, Opcode opcode, std::span<const uint8_t> payload, Role role,
                 bool fin = true);
void write_frame(std::string& out, Opcode opcode, std::string_view payload, Role role,
                 bool fin = true);
// A Close frame with code and reason (reason cut to fit 125 bytes on a UTF-8 boundary).
// kNoStatus/kAbnormal are written as an empty Close frame.
void write_close(std::string& out, uint16_t code, std::string_view reason, Role role);

} // namespace rtc::ws

#include "ws/frame.hpp"

#include "crypto/random.hpp"

#include <cstring>

namespace rtc::ws {

namespace {

constexpr uint8_t kFin = 0x80;
constexpr uint8_t kReservedBits = 0x70; // RSV1-3
constexpr uint8_t kOpcodeBits = 0x0F;
constexpr uint8_t kMaskBit = 0x80;
constexpr uint8_t kLength16 = 126;
constexpr uint8_t kLength64 = 127;
constexpr std::size_t kMaxControlPayload = 125; // RFC 6455 §5.5
constexpr uint64_t kAsciiBits = 0x8080808080808080ull;

bool is_known_opcode(uint8_t op) {
    // RFC 6455 §5.2: 0x3-0x7 and 0xB-0xF are reserved.
    return op <= 0x2 || (op >= 0x8 && op <= 0xA);
}

bool is_control(uint8_t op) {
    return (op & 0x08) != 0;
}

// XORs `n` bytes of `src` with the 4-byte key into `dst` (which may equal `src`), eight bytes per
// step (RFC 6455 §5.3). The key repeats every 4 bytes from the start of the payload.
void apply_mask(uint8_t* dst, const uint8_t* src, std::size_t n, const uint8_t* key) {
    const uint8_t wide[8] = {key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3]};
    uint64_t mask = 0;
    std::memcpy(&mask, wide, sizeof(mask));
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t word = 0;
        std::memcpy(&word, src + i, sizeof(word));
        word ^= mask;
        std::memcpy(dst + i, &word, sizeof(word));
    }
    for (; i < n; ++i)
        dst[i] = static_cast<uint8_t>(src[i] ^ key[i & 3]);
}

// Continues a UTF-8 check (RFC 3629 §4 syntax: no overlong forms, no surrogates, nothing above
// U+10FFFF) over the next bytes of a text. False as soon as the bytes cannot be UTF-8.
bool feed_utf8(Decoder::Utf8State& s, const uint8_t* p, std::size_t n) {
    std::size_t i = 0;
    while (i < n) {
        if (s.need == 0) {
            // ASCII runs: eight bytes per step.
            for (; i + 8 <= n; i += 8) {
                uint64_t word = 0;
                std::memcpy(&word, p + i, sizeof(word));
                if ((word & kAsciiBits) != 0)
                    break;
            }
            if (i == n)
                break;
            const uint8_t c = p[i++];
            if (c < 0x80)
                continue;
            s.low = 0x80;
            s.high = 0xBF;
            if (c >= 0xC2 && c <= 0xDF) {
                s.need = 1;
            } else if (c >= 0xE0 && c <= 0xEF) {
                s.need = 2;
                if (c == 0xE0)
                    s.low = 0xA0; // overlong below U+0800
                else if (c == 0xED)
                    s.high = 0x9F; // surrogates U+D800..U+DFFF
            } else if (c >= 0xF0 && c <= 0xF4) {
                s.need = 3;
                if (c == 0xF0)
                    s.low = 0x90; // overlong below U+10000
                else if (c == 0xF4)
                    s.high = 0x8F; // above U+10FFFF
            } else {
                return false; // continuation byte, C0/C1 (overlong) or F5..FF
            }
        } else {
            const uint8_t c = p[i++];
            if (c < s.low || c > s.high)
                return false;
            s.low = 0x80;
            s.high = 0xBF;
            --s.need;
        }
    }
    return true;
}

bool is_utf8(const uint8_t* p, std::size_t n) {
    Decoder::Utf8State s;
    return feed_utf8(s, p, n) && s.need == 0;
}

uint64_t read_be(const uint8_t* p, std::size_t n) {
    uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i)
        v = (v << 8) | p[i];
    return v;
}

std::string_view as_text(std::span<const uint8_t> bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

} // namespace

bool is_valid_close_code(uint16_t code) {
    // RFC 6455 §7.4.1/§7.4.2: 1004-1006 and 1015 are never sent; 1012-1014 were registered
    // later in the IANA "WebSocket Close Code Number" registry; 3000-4999 are for libraries and
    // applications.
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

Decoder::Decoder(Role role, DecoderLimits limits) : role_(role), limits_(limits) {
    control_.reserve(kMaxControlPayload);
}

Event Decoder::fail(uint16_t code, std::string_view reason) {
    failed_ = true;
    error_ = Event{};
    error_.kind = EventKind::Error;
    error_.close_code = code;
    error_.reason = reason;
    message_opcode_ = Opcode::Continuation;
    return error_;
}

Event Decoder::next(std::span<const uint8_t> input, std::size_t& used) {
    used = 0;
    if (failed_)
        return error_;
    if (closed_) {
        used = input.size();
        return {};
    }
    // A message returned by the previous call is no longer needed.
    if (message_opcode_ == Opcode::Continuation)
        message_.clear();

    // Each round consumes one whole frame; rounds that yield no event are non-final fragments.
    std::size_t offset = 0;
    while (input.size() - offset >= 2) {
        const uint8_t* p = input.data() + offset;
        const std::size_t avail = input.size() - offset;
        const bool fin = (p[0] & kFin) != 0;
        const uint8_t op = p[0] & kOpcodeBits;
        const bool masked = (p[1] & kMaskBit) != 0;
        uint64_t length = p[1] & 0x7F;

        // RFC 6455 §5.2: RSV bits must be 0 unless an extension says otherwise (none is).
        if ((p[0] & kReservedBits) != 0)
            return fail(close_code::kProtocolError, "reserved bits set");
        if (!is_known_opcode(op))
            return fail(close_code::kProtocolError, "reserved opcode");
        // RFC 6455 §5.1: clients mask every frame, servers none.
        if (role_ == Role::Server && !masked)
            return fail(close_code::kProtocolError, "unmasked frame");
        if (role_ == Role::Client && masked)
            return fail(close_code::kProtocolError, "masked frame");
        if (is_control(op)) {
            // RFC 6455 §5.5: control frames carry at most 125 bytes and are never fragmented.
            if (!fin)
                return fail(close_code::kProtocolError, "fragmented control frame");
            if (length > kMaxControlPayload)
                return fail(close_code::kProtocolError, "control frame too long");
        } else if (op == static_cast<uint8_t>(Opcode::Continuation)) {
            // RFC 6455 §5.4: a continuation only follows a non-final Text/Binary frame.
            if (message_opcode_ == Opcode::Continuation)
                return fail(close_code::kProtocolError, "continuation without a message");
        } else if (message_opcode_ != Opcode::Continuation) {
            return fail(close_code::kProtocolError, "new message before the last one ended");
        }

        // RFC 6455 §5.2: 16- and 64-bit lengths use the minimal form; the 64-bit MSB is 0.
        std::size_t header = 2;
        if (length == kLength16) {
            if (avail < 4)
                break;
            length = read_be(p + 2, 2);
            if (length < kLength16)
                return fail(close_code::kProtocolError, "non-minimal length");
            header = 4;
        } else if (length == kLength64) {
            if (avail < 10)
                break;
            length = read_be(p + 2, 8);
            if ((length >> 63) != 0)
                return fail(close_code::kProtocolError, "length with the high bit set");
            if (length <= 0xFFFF)
                return fail(close_code::kProtocolError, "non-minimal length");
            header = 10;
        }

        if (!is_control(op)) {
            const bool starts = op != static_cast<uint8_t>(Opcode::Continuation);
            const std::size_t held = starts ? 0 : message_.size(); // <= max_message
            if (length > limits_.max_message - held)
                return fail(close_code::kMessageTooBig, "message too big");
            if ((starts ? 0 : fragments_) + 1 > limits_.max_frames_per_message)
                return fail(close_code::kMessageTooBig, "too many fragments");
        }

        const std::size_t key_size = masked ? 4 : 0;
        if (avail < header + key_size || avail - header - key_size < length)
            break; // the frame is not complete yet
        const uint8_t* key = masked ? p + header : nullptr;
        const std::span<const uint8_t> payload(p + header + key_size,
                                               static_cast<std::size_t>(length));
        const std::size_t frame_size = header + key_size + payload.size();

        if (is_control(op)) {
            const Event event = control_frame(static_cast<Opcode>(op), payload, key);
            if (event.kind == EventKind::Error)
                return event;
            used = offset + frame_size;
            return event;
        }

        if (op != static_cast<uint8_t>(Opcode::Continuation)) {
            // The first frame of a message.
            const auto opcode = static_cast<Opcode>(op);
            if (fin && !masked) {
                // A whole message, unmasked (client side): a view of the caller's bytes.
                if (opcode == Opcode::Text && !is_utf8(payload.data(), payload.size()))
                    return fail(close_code::kInvalidPayload, "text is not UTF-8");
                used = offset + frame_size;
                Event event;
                event.kind = EventKind::Message;
                event.opcode = opcode;
                event.payload = as_text(payload);
                return event;
            }
            message_.clear();
            message_opcode_ = opcode;
            fragments_ = 0;
            utf8_ = {};
        }

        const std::size_t at = message_.size();
        message_.resize(at + payload.size());
        auto* dst = reinterpret_cast<uint8_t*>(message_.data()) + at;
        if (key != nullptr)
            apply_mask(dst, payload.data(), payload.size(), key);
        else if (!payload.empty())
            std::memcpy(dst, payload.data(), payload.size());
        ++fragments_;
        // RFC 6455 §8.1: text is UTF-8; checked as fragments arrive so bad text fails early.
        if (message_opcode_ == Opcode::Text && !feed_utf8(utf8_, dst, payload.size()))
            return fail(close_code::kInvalidPayload, "text is not UTF-8");
        offset += frame_size;
        if (!fin)
            continue;

        if (message_opcode_ == Opcode::Text && utf8_.need != 0)
            return fail(close_code::kInvalidPayload, "text is not UTF-8");
        Event event;
        event.kind = EventKind::Message;
        event.opcode = message_opcode_;
        event.payload = message_;
        message_opcode_ = Opcode::Continuation; // message_ stays valid until the next call
        used = offset;
        return event;
    }
    used = offset;
    return {};
}

Event Decoder::control_frame(Opcode opcode, std::span<const uint8_t> payload, const uint8_t* key) {
    std::string_view data = as_text(payload);
    if (key != nullptr) {
        control_.resize(payload.size()); // within the reserved 125 bytes
        auto* dst = reinterpret_cast<uint8_t*>(control_.data());
        apply_mask(dst, payload.data(), payload.size(), key);
        data = control_;
    }
    Event event;
    event.opcode = opcode;
    if (opcode == Opcode::Ping || opcode == Opcode::Pong) {
        event.kind = opcode == Opcode::Ping ? EventKind::Ping : EventKind::Pong;
        event.payload = data;
        return event;
    }
    // RFC 6455 §5.5.1: an optional 2-byte code, then an optional UTF-8 reason.
    event.kind = EventKind::Close;
    if (data.empty()) {
        event.close_code = close_code::kNoStatus;
    } else {
        if (data.size() == 1)
            return fail(close_code::kProtocolError, "close payload of 1 byte");
        const auto* bytes = reinterpret_cast<const uint8_t*>(data.data());
        event.close_code = static_cast<uint16_t>(read_be(bytes, 2));
        if (!is_valid_close_code(event.close_code))
            return fail(close_code::kProtocolError, "invalid close code");
        event.reason = data.substr(2);
        if (!is_utf8(bytes + 2, data.size() - 2))
            return fail(close_code::kInvalidPayload, "close reason is not UTF-8");
    }
    event.payload = data;
    closed_ = true;
    return event;
}

void write_frame(std::string& out, Opcode opcode, std::span<const uint8_t> payload, Role role,
                 bool fin) {
    // RFC 6455 §5.2: minimal length encoding.
    const std::size_t n = payload.size();
    const bool masked = role == Role::Client;
    std::size_t header = 2;
    if (n > 0xFFFF)
        header = 10;
    else if (n >= kLength16)
        header = 4;
    const std::size_t key_size = masked ? 4 : 0;
    const std::size_t start = out.size();
    out.resize(start + header + key_size + n);
    auto* p = reinterpret_cast<uint8_t*>(out.data()) + start;
    p[0] = static_cast<uint8_t>((fin ? kFin : 0) | static_cast<uint8_t>(opcode));
    const uint8_t mask_bit = masked ? kMaskBit : 0;
    if (header == 2) {
        p[1] = static_cast<uint8_t>(mask_bit | n);
    } else if (header == 4) {
        p[1] = mask_bit | kLength16;
        p[2] = static_cast<uint8_t>(n >> 8);
        p[3] = static_cast<uint8_t>(n);
    } else {
        p[1] = mask_bit | kLength64;
        for (int i = 0; i < 8; ++i)
            p[2 + i] = static_cast<uint8_t>(static_cast<uint64_t>(n) >> (56 - 8 * i));
    }
    uint8_t* body = p + header + key_size;
    if (masked) {
        // RFC 6455 §5.3: a fresh, unpredictable key for every frame.
        const uint32_t random = crypto::random_u32();
        uint8_t* key = p + header;
        std::memcpy(key, &random, 4);
        apply_mask(body, payload.data(), n, key);
    } else if (n > 0) {
        std::memcpy(body, payload.data(), n);
    }
}

void write_frame(std::string& out, Opcode opcode, std::string_view payload, Role role, bool fin) {
    write_frame(
        out, opcode,
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(payload.data()), payload.size()),
        role, fin);
}

void write_close(std::string& out, uint16_t code, std::string_view reason, Role role) {
    // kNoStatus, kAbnormal and other codes a Close frame may not carry: an empty Close.
    if (!is_valid_close_code(code)) {
        write_frame(out, Opcode::Close, std::string_view(), role);
        return;
    }
    // RFC 6455 §5.5: 2 bytes of code + at most 123 bytes of reason, cut between characters.
    std::size_t cut = std::min<std::size_t>(reason.size(), kMaxControlPayload - 2);
    if (cut < reason.size())
        while (cut > 0 && (static_cast<uint8_t>(reason[cut]) & 0xC0) == 0x80)
            --cut;
    uint8_t payload[kMaxControlPayload];
    payload[0] = static_cast<uint8_t>(code >> 8);
    payload[1] = static_cast<uint8_t>(code);
    if (cut > 0)
        std::memcpy(payload + 2, reason.data(), cut);
    write_frame(out, Opcode::Close, std::span<const uint8_t>(payload, 2 + cut), role);
}

} // namespace rtc::ws

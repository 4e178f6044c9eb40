#pragma once
// Helpers for the WebSocket codec tests: byte strings and a caller loop around Decoder.
#include "ws/frame.hpp"

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rtc::ws::test {

inline std::string bytes(std::initializer_list<int> list) {
    std::string s;
    for (int b : list)
        s.push_back(static_cast<char>(b));
    return s;
}

inline std::span<const uint8_t> as_span(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// One event as text: "text:Hello", "binary:<n bytes>", "ping:x", "pong:x", "close:1000:bye",
// "error:1002:unmasked frame".
inline std::string describe(const Event& e) {
    switch (e.kind) {
    case EventKind::NeedMore:
        return "need-more";
    case EventKind::Message:
        if (e.opcode == Opcode::Text)
            return "text:" + std::string(e.payload);
        return "binary:" + std::string(e.payload);
    case EventKind::Ping:
        return "ping:" + std::string(e.payload);
    case EventKind::Pong:
        return "pong:" + std::string(e.payload);
    case EventKind::Close:
        return "close:" + std::to_string(e.close_code) + ":" + std::string(e.reason);
    case EventKind::Error:
        return "error:" + std::to_string(e.close_code) + ":" + std::string(e.reason);
    }
    return "?";
}

// Feeds `stream` to `decoder` `chunk` bytes at a time the way a socket reader does (append,
// decode until NeedMore, drop what was used) and lists the events. Stops after an Error.
inline std::vector<std::string> decode_all(Decoder& decoder, std::string_view stream,
                                           std::size_t chunk) {
    std::vector<std::string> events;
    std::string buffer;
    for (std::size_t off = 0; off < stream.size(); off += chunk) {
        buffer.append(stream.substr(off, chunk));
        // Each round consumes bytes or ends; the bound only guards against a broken decoder.
        for (std::size_t round = 0; round <= stream.size() + 1; ++round) {
            std::size_t used = 0;
            const Event e = decoder.next(as_span(buffer), used);
            if (used > buffer.size()) {
                events.push_back("used past the input");
                return events;
            }
            if (e.kind != EventKind::NeedMore)
                events.push_back(describe(e));
            buffer.erase(0, used);
            if (e.kind == EventKind::Error)
                return events;
            if (e.kind == EventKind::NeedMore)
                break;
        }
    }
    return events;
}

} // namespace rtc::ws::test

// WebSocket framing (RFC 6455 §5): the §5.7 examples bit for bit, then every rule of §5.
#include "ws/frame.hpp"
#include "ws_test_util.hpp"

#include "util/utf8.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace rtc::ws;
using rtc::ws::test::as_span;
using rtc::ws::test::bytes;
using rtc::ws::test::decode_all;

namespace {

Event decode_one(Decoder& d, const std::string& frame, std::size_t& used) {
    return d.next(as_span(frame), used);
}

// Unmasks a frame written by a client (7-bit length only) so its payload can be compared.
std::string unmask_small(const std::string& frame) {
    std::string out;
    const std::size_t n = static_cast<uint8_t>(frame[1]) & 0x7F;
    for (std::size_t i = 0; i < n; ++i)
        out.push_back(static_cast<char>(frame[6 + i] ^ frame[2 + (i & 3)]));
    return out;
}

// A masked client frame with the given first byte, payload and key (for hand-made input).
std::string masked(int first, std::string_view payload, std::string_view key = "\x01\x02\x03\x04",
                   int length_override = -1) {
    std::string f;
    f.push_back(static_cast<char>(first));
    const int len = length_override >= 0 ? length_override : static_cast<int>(payload.size());
    f.push_back(static_cast<char>(0x80 | len));
    f.append(key);
    for (std::size_t i = 0; i < payload.size(); ++i)
        f.push_back(static_cast<char>(payload[i] ^ key[i & 3]));
    return f;
}

std::string server_error(const std::string& stream, DecoderLimits limits = {}) {
    Decoder d(Role::Server, limits);
    const auto events = decode_all(d, stream, stream.size() + 1);
    return events.empty() ? "none" : events.back();
}

std::string client_error(const std::string& stream, DecoderLimits limits = {}) {
    Decoder d(Role::Client, limits);
    const auto events = decode_all(d, stream, stream.size() + 1);
    return events.empty() ? "none" : events.back();
}

} // namespace

TEST_CASE("ws frame: RFC 6455 5.7 single-frame unmasked text") {
    const std::string wire = bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
    Decoder d(Role::Client);
    std::size_t used = 0;
    const Event e = decode_one(d, wire, used);
    CHECK(e.kind == EventKind::Message);
    CHECK(e.opcode == Opcode::Text);
    CHECK(e.payload == "Hello");
    CHECK(used == 7);
    // A client receives an unmasked single frame without copying it.
    CHECK(static_cast<const void*>(e.payload.data()) == static_cast<const void*>(wire.data() + 2));

    std::string out;
    write_frame(out, Opcode::Text, std::string_view("Hello"), Role::Server);
    CHECK(out == wire);
}

TEST_CASE("ws frame: RFC 6455 5.7 single-frame masked text") {
    const std::string wire =
        bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
    Decoder d(Role::Server);
    std::size_t used = 0;
    const Event e = decode_one(d, wire, used);
    CHECK(e.kind == EventKind::Message);
    CHECK(e.payload == "Hello");
    CHECK(used == wire.size());

    // The writer masks with a fresh key: same header, and the key unmasks to the payload.
    std::string a, b;
    write_frame(a, Opcode::Text, std::string_view("Hello"), Role::Client);
    write_frame(b, Opcode::Text, std::string_view("Hello"), Role::Client);
    REQUIRE(a.size() == 11);
    CHECK(a.substr(0, 2) == bytes({0x81, 0x85}));
    CHECK(unmask_small(a) == "Hello");
    CHECK(unmask_small(b) == "Hello");
    CHECK(a.substr(2, 4) != b.substr(2, 4)); // 2^-32 chance of a false failure
}

TEST_CASE("ws frame: RFC 6455 5.7 fragmented unmasked text") {
    const std::string first = bytes({0x01, 0x03, 0x48, 0x65, 0x6c});
    const std::string second = bytes({0x80, 0x02, 0x6c, 0x6f});
    Decoder d(Role::Client);
    std::size_t used = 0;
    Event e = decode_one(d, first, used);
    CHECK(e.kind == EventKind::NeedMore);
    CHECK(used == 5); // the fragment was taken into the message buffer
    CHECK(d.buffered() == 3);
    e = decode_one(d, second, used);
    CHECK(e.kind == EventKind::Message);
    CHECK(e.opcode == Opcode::Text);
    CHECK(e.payload == "Hello");
    CHECK(used == 4);

    Decoder whole(Role::Client);
    const std::string both = first + second;
    e = decode_one(whole, both, used);
    CHECK(e.payload == "Hello");
    CHECK(used == 9);
    CHECK(whole.buffered() == 0);

    std::string out;
    write_frame(out, Opcode::Text, std::string_view("Hel"), Role::Server, false);
    write_frame(out, Opcode::Continuation, std::string_view("lo"), Role::Server);
    CHECK(out == both);
}

TEST_CASE("ws frame: RFC 6455 5.7 unmasked ping and masked pong") {
    const std::string ping = bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
    const std::string pong =
        bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
    Decoder client(Role::Client);
    std::size_t used = 0;
    Event e = decode_one(client, ping, used);
    CHECK(e.kind == EventKind::Ping);
    CHECK(e.payload == "Hello");
    CHECK(used == ping.size());
    Decoder server(Role::Server);
    e = decode_one(server, pong, used);
    CHECK(e.kind == EventKind::Pong);
    CHECK(e.payload == "Hello");
    CHECK(used == pong.size());

    std::string out;
    write_frame(out, Opcode::Ping, std::string_view("Hello"), Role::Server);
    CHECK(out == ping);
    out.clear();
    write_frame(out, Opcode::Pong, std::string_view("Hello"), Role::Client);
    CHECK(out.substr(0, 2) == bytes({0x8a, 0x85}));
    CHECK(unmask_small(out) == "Hello");
}

TEST_CASE("ws frame: RFC 6455 5.7 256-byte and 64 KiB binary lengths") {
    std::string payload256(256, '\0');
    for (std::size_t i = 0; i < payload256.size(); ++i)
        payload256[i] = static_cast<char>(i);
    std::string out;
    write_frame(out, Opcode::Binary, payload256, Role::Server);
    CHECK(out.substr(0, 4) == bytes({0x82, 0x7E, 0x01, 0x00}));
    CHECK(out.size() == 4 + 256);
    Decoder d(Role::Client);
    std::size_t used = 0;
    Event e = decode_one(d, out, used);
    CHECK(e.kind == EventKind::Message);
    CHECK(e.opcode == Opcode::Binary);
    CHECK(e.payload == payload256);

    const std::string payload64k(65536, 'z');
    out.clear();
    write_frame(out, Opcode::Binary, payload64k, Role::Server);
    CHECK(out.substr(0, 10) == bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00}));
    CHECK(out.size() == 10 + 65536);
    Decoder big(Role::Client, {.max_message = 1 << 20});
    e = decode_one(big, out, used);
    CHECK(e.kind == EventKind::Message);
    CHECK(e.payload == payload64k);
    CHECK(used == out.size());
    // Every byte but the last: still waiting, nothing consumed.
    Decoder partial(Role::Client, {.max_message = 1 << 20});
    e = partial.next(as_span(out).first(out.size() - 1), used);
    CHECK(e.kind == EventKind::NeedMore);
    CHECK(used == 0);
}

TEST_CASE("ws frame: length boundaries use the minimal encoding") {
    struct Case {
        std::size_t size;
        std::size_t header;
    };
    for (const Case c : {Case{0, 2}, Case{125, 2}, Case{126, 4}, Case{65535, 4}, Case{65536, 10}}) {
        std::string out;
        write_frame(out, Opcode::Binary, std::string(c.size, 'a'), Role::Server);
        CHECK(out.size() == c.header + c.size);
        std::string masked_out;
        write_frame(masked_out, Opcode::Binary, std::string(c.size, 'a'), Role::Client);
        CHECK(masked_out.size() == c.header + 4 + c.size);
    }
}

TEST_CASE("ws frame: round trips between the roles at every small length and across sizes") {
    std::vector<std::size_t> sizes;
    for (std::size_t n = 0; n <= 40; ++n)
        sizes.push_back(n);
    for (std::size_t n : {125u, 126u, 127u, 1000u, 65535u, 65536u, 100003u})
        sizes.push_back(n);
    for (const Role sender : {Role::Client, Role::Server}) {
        const Role receiver = sender == Role::Client ? Role::Server : Role::Client;
        Decoder d(receiver, {.max_message = 200000});
        for (std::size_t n : sizes) {
            std::string payload(n, '\0');
            for (std::size_t i = 0; i < n; ++i)
                payload[i] = static_cast<char>((i * 131 + n) & 0xFF);
            std::string wire;
            write_frame(wire, Opcode::Binary, payload, sender);
            std::size_t used = 0;
            const Event e = d.next(as_span(wire), used);
            REQUIRE(e.kind == EventKind::Message);
            CHECK(e.opcode == Opcode::Binary);
            CHECK(e.payload == payload);
            CHECK(used == wire.size());
        }
    }
}

TEST_CASE("ws frame: fragmented messages round trip and reuse the message buffer") {
    Decoder d(Role::Server);
    std::string wire;
    write_frame(wire, Opcode::Text, std::string_view("h\xc3"), Role::Client, false);
    write_frame(wire, Opcode::Continuation, std::string_view("\xa9llo "), Role::Client, false);
    write_frame(wire, Opcode::Continuation, std::string_view(""), Role::Client, false);
    write_frame(wire, Opcode::Continuation, std::string_view("w\xc3\xb6rld"), Role::Client);
    std::size_t used = 0;
    Event e = d.next(as_span(wire), used);
    REQUIRE(e.kind == EventKind::Message);
    CHECK(e.payload == "h\xc3\xa9llo w\xc3\xb6rld"); // a UTF-8 sequence split over fragments
    CHECK(used == wire.size());
    const void* first_buffer = e.payload.data();

    e = d.next(as_span(wire), used);
    REQUIRE(e.kind == EventKind::Message);
    CHECK(static_cast<const void*>(e.payload.data()) == first_buffer); // no new allocation
}

TEST_CASE("ws frame: control frames may come between fragments") {
    std::string wire;
    write_frame(wire, Opcode::Text, std::string_view("Hel"), Role::Client, false);
    write_frame(wire, Opcode::Ping, std::string_view("p1"), Role::Client);
    write_frame(wire, Opcode::Continuation, std::string_view("l"), Role::Client, false);
    write_frame(wire, Opcode::Pong, std::string_view("p2"), Role::Client);
    write_frame(wire, Opcode::Continuation, std::string_view("o"), Role::Client);
    write_frame(wire, Opcode::Binary, std::string_view("next"), Role::Client);
    Decoder d(Role::Server);
    const auto events = decode_all(d, wire, wire.size());
    CHECK(events == std::vector<std::string>{"ping:p1", "pong:p2", "text:Hello", "binary:next"});

    // A Close between fragments ends the connection; what follows is ignored.
    std::string closing;
    write_frame(closing, Opcode::Text, std::string_view("a"), Role::Client, false);
    write_close(closing, close_code::kGoingAway, "bye", Role::Client);
    write_frame(closing, Opcode::Continuation, std::string_view("b"), Role::Client);
    Decoder c(Role::Server);
    CHECK(decode_all(c, closing, closing.size()) == std::vector<std::string>{"close:1001:bye"});
}

TEST_CASE("ws frame: byte-at-a-time feeding gives the same events as whole input") {
    for (const Role sender : {Role::Client, Role::Server}) {
        const Role receiver = sender == Role::Client ? Role::Server : Role::Client;
        std::string wire;
        write_frame(wire, Opcode::Text, std::string_view("one"), sender);
        write_frame(wire, Opcode::Binary, std::string(300, 'b'), sender);
        write_frame(wire, Opcode::Text, std::string_view("fr"), sender, false);
        write_frame(wire, Opcode::Ping, std::string_view("between"), sender);
        write_frame(wire, Opcode::Continuation, std::string_view("ag"), sender);
        write_frame(wire, Opcode::Binary, std::string(70000, 'c'), sender);
        write_frame(wire, Opcode::Pong, std::string_view(""), sender);
        write_close(wire, 4000, "done", sender);
        const std::vector<std::string> expected = {
            "text:one",       "binary:" + std::string(300, 'b'),   "ping:between",
            "text:frag",      "binary:" + std::string(70000, 'c'), "pong:",
            "close:4000:done"};
        for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{7}, wire.size()}) {
            Decoder d(receiver, {.max_message = 100000});
            CHECK(decode_all(d, wire, chunk) == expected);
        }
    }
}

TEST_CASE("ws frame: masking rules per role") {
    std::string unmasked;
    write_frame(unmasked, Opcode::Text, std::string_view("x"), Role::Server);
    CHECK(server_error(unmasked) == "error:1002:unmasked frame");
    std::string masked_frame;
    write_frame(masked_frame, Opcode::Text, std::string_view("x"), Role::Client);
    CHECK(client_error(masked_frame) == "error:1002:masked frame");
    // Control frames too.
    std::string ping;
    write_frame(ping, Opcode::Ping, std::string_view("x"), Role::Server);
    CHECK(server_error(ping) == "error:1002:unmasked frame");
}

TEST_CASE("ws frame: reserved bits and opcodes are protocol errors") {
    for (int rsv : {0x40, 0x20, 0x10})
        CHECK(server_error(masked(0x81 | rsv, "x")) == "error:1002:reserved bits set");
    for (int op : {0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF})
        CHECK(server_error(masked(0x80 | op, "x")) == "error:1002:reserved opcode");
    // Detected from the first two bytes, before the rest arrives.
    Decoder d(Role::Server);
    std::size_t used = 0;
    const std::string head = bytes({0xC1, 0xFF});
    CHECK(d.next(as_span(head), used).kind == EventKind::Error);
}

TEST_CASE("ws frame: control frames are short and never fragmented") {
    CHECK(server_error(masked(0x09, "x")) == "error:1002:fragmented control frame");
    CHECK(server_error(masked(0x08, "")) == "error:1002:fragmented control frame");
    // 126 bytes through the 16-bit form.
    std::string long_ping = bytes({0x89, 0xFE, 0x00, 0x7E, 1, 2, 3, 4}) + std::string(126, 'p');
    CHECK(server_error(long_ping) == "error:1002:control frame too long");
    std::string ok_ping;
    write_frame(ok_ping, Opcode::Ping, std::string(125, 'p'), Role::Client);
    Decoder d(Role::Server);
    CHECK(decode_all(d, ok_ping, ok_ping.size()) ==
          std::vector<std::string>{"ping:" + std::string(125, 'p')});
}

TEST_CASE("ws frame: continuation rules") {
    CHECK(server_error(masked(0x80, "x")) == "error:1002:continuation without a message");
    CHECK(server_error(masked(0x00, "x")) == "error:1002:continuation without a message");
    CHECK(server_error(masked(0x01, "a") + masked(0x81, "b")) ==
          "error:1002:new message before the last one ended");
    CHECK(server_error(masked(0x02, "a") + masked(0x82, "b")) ==
          "error:1002:new message before the last one ended");
    // A finished message allows a new one.
    Decoder d(Role::Server);
    const std::string two = masked(0x01, "a") + masked(0x80, "b") + masked(0x82, "c");
    CHECK(decode_all(d, two, 1) == std::vector<std::string>{"text:ab", "binary:c"});
}

TEST_CASE("ws frame: lengths must be minimal and below 2^63") {
    // 16-bit form carrying 125.
    std::string f16 = bytes({0x82, 0x7E, 0x00, 0x7D}) + std::string(125, 'a');
    CHECK(client_error(f16) == "error:1002:non-minimal length");
    // 64-bit form carrying 65535.
    std::string f64 = bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF});
    CHECK(client_error(f64) == "error:1002:non-minimal length");
    // 64-bit MSB set.
    std::string msb = bytes({0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0x01});
    CHECK(client_error(msb) == "error:1002:length with the high bit set");
    // The smallest legal values of each form are fine.
    std::string ok16 = bytes({0x82, 0x7E, 0x00, 0x7E}) + std::string(126, 'a');
    Decoder d(Role::Client);
    CHECK(decode_all(d, ok16, 5) == std::vector<std::string>{"binary:" + std::string(126, 'a')});
}

TEST_CASE("ws frame: text must be UTF-8, checked across fragments and early") {
    CHECK(server_error(masked(0x81, "ok\xff")) == "error:1007:text is not UTF-8");
    CHECK(server_error(masked(0x81, "\xed\xa0\x80")) == "error:1007:text is not UTF-8");
    CHECK(server_error(masked(0x81, "\xc0\xaf")) == "error:1007:text is not UTF-8");
    CHECK(server_error(masked(0x81, "\xf4\x90\x80\x80")) == "error:1007:text is not UTF-8");
    // Truncated at the end of the message.
    CHECK(server_error(masked(0x01, "a\xe2\x82") + masked(0x80, "")) ==
          "error:1007:text is not UTF-8");
    // A bad first fragment fails before the rest of the message arrives.
    Decoder d(Role::Server);
    const std::string frag = masked(0x01, "\xff");
    std::size_t used = 0;
    CHECK(d.next(as_span(frag), used).close_code == close_code::kInvalidPayload);
    // Binary is not checked.
    Decoder b(Role::Server);
    const std::string bin = masked(0x82, "\xff\xfe");
    CHECK(decode_all(b, bin, 3) == std::vector<std::string>{"binary:\xff\xfe"});
    // The decoder agrees with util::is_valid_utf8, whole and split into 1-byte fragments.
    const char* samples[] = {"",
                             "plain ascii text longer than eight",
                             "\xc3\xa9\xe3\x83\x9e\xf0\x9f\x98\x80",
                             "\xe0\x9f\xbf",
                             "\xe0\xa0\x80",
                             "\xef\xbf\xbf",
                             "\xf0\x8f\xbf\xbf",
                             "\xf0\x90\x80\x80",
                             "\xf4\x8f\xbf\xbf",
                             "\xed\x9f\xbf",
                             "\xed\xa0\x80",
                             "\xc2\x80",
                             "\xc1\xbf",
                             "\x80",
                             "abcdefgh\x80",
                             "\xf8\x88\x80\x80\x80"};
    for (const char* s : samples) {
        const std::string text = s;
        const bool valid = rtc::util::is_valid_utf8(text);
        Decoder whole(Role::Server);
        const auto w = decode_all(whole, masked(0x81, text), 64);
        REQUIRE(w.size() == 1);
        CHECK(w[0] == (valid ? "text:" + text : "error:1007:text is not UTF-8"));
        std::string split = masked(0x01, "");
        for (char c : text)
            split += masked(0x00, std::string(1, c));
        split += masked(0x80, "");
        Decoder pieces(Role::Server);
        const auto p = decode_all(pieces, split, split.size());
        REQUIRE(p.size() == 1);
        CHECK(p[0] == w[0]);
    }
}

TEST_CASE("ws frame: close frames carry a valid code and a UTF-8 reason") {
    Decoder empty(Role::Server);
    CHECK(decode_all(empty, masked(0x88, ""), 1) == std::vector<std::string>{"close:1005:"});
    CHECK(server_error(masked(0x88, "\x03")) == "error:1002:close payload of 1 byte");
    for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535}) {
        const std::string payload = bytes({code >> 8, code & 0xFF});
        CHECK(server_error(masked(0x88, payload)) == "error:1002:invalid close code");
    }
    for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000,
                     4000, 4999}) {
        Decoder d(Role::Server);
        const std::string payload = bytes({code >> 8, code & 0xFF}) + "r\xc3\xa9";
        CHECK(decode_all(d, masked(0x88, payload), 2) ==
              std::vector<std::string>{"close:" + std::to_string(code) + ":r\xc3\xa9"});
    }
    CHECK(server_error(masked(0x88, bytes({0x03, 0xE8}) + "\xff")) ==
          "error:1007:close reason is not UTF-8");
}

TEST_CASE("ws frame: is_valid_close_code follows RFC 6455 7.4") {
    CHECK(is_valid_close_code(1000));
    CHECK(is_valid_close_code(1003));
    CHECK_FALSE(is_valid_close_code(1004));
    CHECK_FALSE(is_valid_close_code(close_code::kNoStatus));
    CHECK_FALSE(is_valid_close_code(close_code::kAbnormal));
    CHECK(is_valid_close_code(close_code::kInvalidPayload));
    CHECK(is_valid_close_code(close_code::kTryAgainLater));
    CHECK(is_valid_close_code(1014));
    CHECK_FALSE(is_valid_close_code(1015));
    CHECK_FALSE(is_valid_close_code(2999));
    CHECK(is_valid_close_code(3000));
    CHECK(is_valid_close_code(4999));
    CHECK_FALSE(is_valid_close_code(5000));
}

TEST_CASE("ws frame: write_close cuts the reason on a character boundary") {
    std::string out;
    write_close(out, close_code::kNormal, "bye", Role::Server);
    CHECK(out == bytes({0x88, 0x05, 0x03, 0xE8, 'b', 'y', 'e'}));
    out.clear();
    write_close(out, close_code::kNoStatus, "ignored", Role::Server);
    CHECK(out == bytes({0x88, 0x00}));
    out.clear();
    write_close(out, close_code::kAbnormal, "", Role::Server);
    CHECK(out == bytes({0x88, 0x00}));
    // 122 ASCII bytes then a 2-byte character: 124 bytes do not fit in 123, so it is dropped.
    const std::string reason = std::string(122, 'a') + "\xc3\xa9" + "tail";
    out.clear();
    write_close(out, 4001, reason, Role::Server);
    REQUIRE(out.size() == 2 + 2 + 122);
    Decoder d(Role::Client);
    CHECK(decode_all(d, out, out.size()) ==
          std::vector<std::string>{"close:4001:" + std::string(122, 'a')});
    // Exactly 123 bytes of reason fit.
    out.clear();
    write_close(out, 4001, std::string(200, 'x'), Role::Client);
    CHECK(out.size() == 2 + 4 + 125);
}

TEST_CASE("ws frame: message limits are enforced before the payload arrives") {
    const DecoderLimits limits{.max_message = 100, .max_frames_per_message = 3};
    // A header announcing 101 bytes is refused on its own.
    Decoder d(Role::Server, limits);
    const std::string head = bytes({0x82, 0xE5});
    std::size_t used = 0;
    Event e = d.next(as_span(head), used);
    CHECK(e.kind == EventKind::Error);
    CHECK(e.close_code == close_code::kMessageTooBig);
    CHECK(e.reason == "message too big");
    // Once failed, always failed.
    const std::string fine = masked(0x81, "x");
    e = d.next(as_span(fine), used);
    CHECK(e.kind == EventKind::Error);
    CHECK(e.close_code == close_code::kMessageTooBig);

    // Exactly at the limit is fine; fragments add up.
    Decoder ok(Role::Server, limits);
    CHECK(decode_all(ok, masked(0x82, std::string(100, 'a')), 1000).size() == 1);
    CHECK(server_error(masked(0x02, std::string(60, 'a')) + masked(0x80, std::string(41, 'b')),
                       limits) == "error:1009:message too big");
    CHECK(
        server_error(masked(0x02, "a") + masked(0x00, "b") + masked(0x00, "c") + masked(0x80, "d"),
                     limits) == "error:1009:too many fragments");
    Decoder three(Role::Server, limits);
    CHECK(decode_all(three, masked(0x02, "a") + masked(0x00, "b") + masked(0x80, "c"), 4) ==
          std::vector<std::string>{"binary:abc"});
    // 64-bit lengths far beyond the limit.
    CHECK(client_error(bytes({0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF})) ==
          "error:1009:message too big");
}

TEST_CASE("ws frame: buffered() counts only an unfinished message") {
    Decoder d(Role::Server);
    std::size_t used = 0;
    const std::string first = masked(0x01, "abcd");
    CHECK(d.next(as_span(first), used).kind == EventKind::NeedMore);
    CHECK(d.buffered() == 4);
    const std::string last = masked(0x80, "ef");
    CHECK(d.next(as_span(last), used).payload == "abcdef");
    CHECK(d.buffered() == 0);
}

#include "signal/json_scan.hpp"

#include "util/hex.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cstring>

namespace rtc::signal {

namespace {

using Bytes = const unsigned char*;

bool is_space(unsigned char c) {
    // RFC 8259 §2: insignificant whitespace.
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool is_digit(unsigned char c) {
    return c >= '0' && c <= '9';
}

void skip_space(Bytes s, std::size_t n, std::size_t& i) {
    while (i < n && is_space(s[i]))
        ++i;
}

// Marks (bit 7 of each byte) the bytes of `x` that end or interrupt a run of plain string
// characters: a control character (< 0x20), '"', '\\' or a non-ASCII byte. Bit tricks from "Bit
// Twiddling Hacks" (haszero, hasless): a borrow may mark bytes above a marked one, never below,
// so the lowest mark is exact.
uint64_t special_bytes(uint64_t x) {
    constexpr uint64_t kOnes = 0x0101010101010101ULL;
    constexpr uint64_t kHigh = 0x8080808080808080ULL;
    const auto has_zero = [](uint64_t v) { return (v - kOnes) & ~v & kHigh; };
    const uint64_t control = (x - kOnes * 0x20) & ~x & kHigh;
    const uint64_t quote = has_zero(x ^ (kOnes * '"'));
    const uint64_t backslash = has_zero(x ^ (kOnes * '\\'));
    return control | quote | backslash | (x & kHigh);
}

// The four hex digits at s[i..i+4), or -1.
int hex4(Bytes s, std::size_t n, std::size_t i) {
    if (i > n || n - i < 4)
        return -1;
    int value = 0;
    for (std::size_t k = 0; k < 4; ++k) {
        const int h = util::hex_digit_value(s[i + k]);
        if (h < 0)
            return -1;
        value = value * 16 + h;
    }
    return value;
}

// An escape at s[i] == '\\' (RFC 8259 §7); a \u high surrogate must be followed by a \u low
// surrogate and a low surrogate may not stand alone (as nlohmann's lexer requires).
bool scan_escape(Bytes s, std::size_t n, std::size_t& i) {
    if (n - i < 2)
        return false;
    switch (s[i + 1]) {
    case '"':
    case '\\':
    case '/':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't':
        i += 2;
        return true;
    case 'u':
        break;
    default:
        return false;
    }
    const int unit = hex4(s, n, i + 2);
    if (unit < 0)
        return false;
    i += 6;
    if (unit >= 0xDC00 && unit <= 0xDFFF)
        return false;
    if (unit < 0xD800 || unit > 0xDBFF)
        return true;
    if (n - i < 2 || s[i] != '\\' || s[i + 1] != 'u')
        return false;
    const int low = hex4(s, n, i + 2);
    if (low < 0xDC00 || low > 0xDFFF)
        return false;
    i += 6;
    return true;
}

// One UTF-8 sequence starting at s[i] >= 0x80, well-formed per RFC 3629 §4 (no overlong forms,
// no surrogates, nothing above U+10FFFF).
bool scan_utf8(Bytes s, std::size_t n, std::size_t& i) {
    const unsigned char c = s[i];
    std::size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        length = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        length = 3;
        if (c == 0xE0)
            low = 0xA0;
        else if (c == 0xED)
            high = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        length = 4;
        if (c == 0xF0)
            low = 0x90;
        else if (c == 0xF4)
            high = 0x8F;
    } else {
        return false;
    }
    if (n - i < length)
        return false;
    if (s[i + 1] < low || s[i + 1] > high)
        return false;
    for (std::size_t k = 2; k < length; ++k)
        if (s[i + k] < 0x80 || s[i + k] > 0xBF)
            return false;
    i += length;
    return true;
}

// A string starting at s[i] == '"'; on success i is past the closing quote.
bool scan_string(Bytes s, std::size_t n, std::size_t& i, bool& escaped) {
    std::size_t at = i + 1;
    // Every pass advances `at` or returns.
    for (;;) {
        // Eight plain bytes at a time, then straight to the first special one.
        while (n - at >= 8) {
            uint64_t chunk = 0;
            std::memcpy(&chunk, s + at, sizeof chunk);
            const uint64_t special = special_bytes(chunk);
            if (special != 0) {
                if constexpr (std::endian::native == std::endian::little)
                    at += static_cast<std::size_t>(std::countr_zero(special)) / 8;
                break;
            }
            at += 8;
        }
        if (at >= n)
            return false;
        const unsigned char c = s[at];
        if (c == '"') {
            i = at + 1;
            return true;
        }
        if (c == '\\') {
            if (!scan_escape(s, n, at))
                return false;
            escaped = true;
        } else if (c < 0x20) {
            return false; // RFC 8259 §7: control characters must be escaped
        } else if (c < 0x80) {
            ++at;
        } else if (!scan_utf8(s, n, at)) {
            return false;
        }
    }
}

// A number at s[i] (RFC 8259 §6). nlohmann refuses a number whose value is not finite as a
// double (its parse error 406); a value below 10^308 always is, so only the rare token that
// could reach that far is handed to nlohmann itself for the answer.
bool scan_number(Bytes s, std::size_t n, std::size_t& i) {
    std::size_t at = i;
    if (s[at] == '-')
        ++at;
    if (at >= n || !is_digit(s[at]))
        return false;
    const std::size_t int_begin = at;
    if (s[at] == '0') {
        ++at;
    } else {
        while (at < n && is_digit(s[at]))
            ++at;
    }
    const auto int_digits = static_cast<int64_t>(at - int_begin);
    if (at < n && s[at] == '.') {
        ++at;
        if (at >= n || !is_digit(s[at]))
            return false;
        while (at < n && is_digit(s[at]))
            ++at;
    }
    int64_t exponent = 0;
    if (at < n && (s[at] == 'e' || s[at] == 'E')) {
        ++at;
        bool negative = false;
        if (at < n && (s[at] == '+' || s[at] == '-')) {
            negative = s[at] == '-';
            ++at;
        }
        if (at >= n || !is_digit(s[at]))
            return false;
        while (at < n && is_digit(s[at])) {
            exponent = std::min<int64_t>(exponent * 10 + (s[at] - '0'), 1000000);
            ++at;
        }
        if (negative)
            exponent = -exponent;
    }
    if (int_digits + exponent > 308) {
        const std::string_view token(reinterpret_cast<const char*>(s + i), at - i);
        if (!nlohmann::json::accept(token))
            return false;
    }
    i = at;
    return true;
}

bool scan_literal(Bytes s, std::size_t n, std::size_t& i, std::string_view literal) {
    if (n - i < literal.size() || std::memcmp(s + i, literal.data(), literal.size()) != 0)
        return false;
    i += literal.size();
    return true;
}

enum class Expect : uint8_t { Value, Key, AfterValue };

} // namespace

JsonScanResult scan_json(std::string_view text, std::size_t max_depth, JsonMemberVisitor* visitor) {
    const auto* s = reinterpret_cast<Bytes>(text.data());
    const std::size_t n = text.size();
    max_depth = std::min(max_depth, kMaxJsonScanDepth);
    JsonScanResult result;
    std::size_t i = 0;
    const auto stop = [&](JsonScanStatus status) {
        result.status = status;
        result.offset = i;
        return result;
    };
    // nlohmann skips a UTF-8 byte order mark at the very start, and refuses a partial one.
    if (n > 0 && s[0] == 0xEF) {
        if (n < 3 || s[1] != 0xBB || s[2] != 0xBF)
            return stop(JsonScanStatus::Invalid);
        i = 3;
    }

    uint64_t objects = 0; // bit d: the container at depth d + 1 is an object
    std::size_t depth = 0;
    JsonMember member;           // the root object's member in progress
    std::size_t value_begin = 0; // where its value starts
    Expect next = Expect::Value;
    // Every pass consumes at least one byte or returns; the last one (depth 0) returns.
    for (;;) {
        switch (next) {
        case Expect::Key: {
            skip_space(s, n, i);
            if (i >= n || s[i] != '"')
                return stop(JsonScanStatus::Invalid);
            const std::size_t key_begin = i;
            bool escaped = false;
            if (!scan_string(s, n, i, escaped))
                return stop(JsonScanStatus::Invalid);
            if (depth == 1) {
                member.key = text.substr(key_begin + 1, i - key_begin - 2);
                member.key_escaped = escaped;
            }
            skip_space(s, n, i);
            if (i >= n || s[i] != ':')
                return stop(JsonScanStatus::Invalid);
            ++i;
            next = Expect::Value;
            break;
        }
        case Expect::Value: {
            skip_space(s, n, i);
            if (i >= n)
                return stop(JsonScanStatus::Invalid);
            const unsigned char c = s[i];
            const bool member_value = depth == 1 && result.root == JsonKind::Object;
            if (member_value) {
                value_begin = i;
                member.value_escaped = false;
            }
            if (c == '{' || c == '[') {
                if (depth >= max_depth)
                    return stop(JsonScanStatus::TooDeep);
                const bool object = c == '{';
                const JsonKind kind = object ? JsonKind::Object : JsonKind::Array;
                if (depth == 0)
                    result.root = kind;
                if (member_value)
                    member.kind = kind;
                if (object)
                    objects |= uint64_t{1} << depth;
                else
                    objects &= ~(uint64_t{1} << depth);
                ++depth;
                ++i;
                skip_space(s, n, i);
                if (i < n && s[i] == (object ? '}' : ']')) {
                    ++i;
                    --depth;
                    next = Expect::AfterValue;
                } else {
                    next = object ? Expect::Key : Expect::Value;
                }
                break;
            }
            JsonKind kind = JsonKind::Null;
            bool ok = false;
            bool escaped = false;
            switch (c) {
            case '"':
                kind = JsonKind::String;
                ok = scan_string(s, n, i, escaped);
                break;
            case 't':
                kind = JsonKind::True;
                ok = scan_literal(s, n, i, "true");
                break;
            case 'f':
                kind = JsonKind::False;
                ok = scan_literal(s, n, i, "false");
                break;
            case 'n':
                kind = JsonKind::Null;
                ok = scan_literal(s, n, i, "null");
                break;
            default:
                kind = JsonKind::Number;
                ok = scan_number(s, n, i);
                break;
            }
            if (!ok)
                return stop(JsonScanStatus::Invalid);
            if (depth == 0)
                result.root = kind;
            if (member_value) {
                member.kind = kind;
                member.value_escaped = escaped;
            }
            next = Expect::AfterValue;
            break;
        }
        case Expect::AfterValue: {
            // `i` is just past a value: report a member of the root object.
            if (depth == 1 && result.root == JsonKind::Object && visitor != nullptr) {
                member.value = text.substr(value_begin, i - value_begin);
                visitor->on_member(member);
            }
            skip_space(s, n, i);
            if (depth == 0) {
                // nlohmann reads a NUL byte as the end of its input (for C strings): the text
                // ends there, and whatever follows is not looked at.
                if (i != n && s[i] != '\0')
                    return stop(JsonScanStatus::Invalid);
                result.status = JsonScanStatus::Ok;
                result.offset = i;
                return result;
            }
            if (i >= n)
                return stop(JsonScanStatus::Invalid);
            const bool in_object = (objects >> (depth - 1) & 1) != 0;
            if (s[i] == ',') {
                ++i;
                next = in_object ? Expect::Key : Expect::Value;
            } else if (s[i] == (in_object ? '}' : ']')) {
                ++i;
                --depth;
            } else {
                return stop(JsonScanStatus::Invalid);
            }
            break;
        }
        }
    }
}

std::optional<std::size_t> json_unescape(std::string_view raw, std::span<char> out) {
    std::size_t length = 0;
    const auto put = [&](char c) {
        if (length >= out.size())
            return false;
        out[length++] = c;
        return true;
    };
    const auto* s = reinterpret_cast<Bytes>(raw.data());
    const std::size_t n = raw.size();
    std::size_t i = 0;
    while (i < n) {
        if (s[i] != '\\') {
            if (!put(static_cast<char>(s[i])))
                return std::nullopt;
            ++i;
            continue;
        }
        if (n - i < 2)
            return std::nullopt;
        const unsigned char e = s[i + 1];
        char simple = 0;
        switch (e) {
        case '"':
        case '\\':
        case '/':
            simple = static_cast<char>(e);
            break;
        case 'b':
            simple = '\b';
            break;
        case 'f':
            simple = '\f';
            break;
        case 'n':
            simple = '\n';
            break;
        case 'r':
            simple = '\r';
            break;
        case 't':
            simple = '\t';
            break;
        case 'u':
            break;
        default:
            return std::nullopt;
        }
        if (e != 'u') {
            if (!put(simple))
                return std::nullopt;
            i += 2;
            continue;
        }
        const int unit = hex4(s, n, i + 2);
        if (unit < 0 || (unit >= 0xDC00 && unit <= 0xDFFF))
            return std::nullopt;
        i += 6;
        uint32_t code = static_cast<uint32_t>(unit);
        if (unit >= 0xD800 && unit <= 0xDBFF) {
            // RFC 8259 §7: a character outside the BMP as a UTF-16 surrogate pair.
            const int low = n - i >= 2 && s[i] == '\\' && s[i + 1] == 'u' ? hex4(s, n, i + 2) : -1;
            if (low < 0xDC00 || low > 0xDFFF)
                return std::nullopt;
            i += 6;
            code = 0x10000 + ((code - 0xD800) << 10) + (static_cast<uint32_t>(low) - 0xDC00);
        }
        // RFC 3629 §3: the code point as UTF-8.
        bool ok = true;
        if (code < 0x80) {
            ok = put(static_cast<char>(code));
        } else if (code < 0x800) {
            ok = put(static_cast<char>(0xC0 | code >> 6)) &&
                 put(static_cast<char>(0x80 | (code & 0x3F)));
        } else if (code < 0x10000) {
            ok = put(static_cast<char>(0xE0 | code >> 12)) &&
                 put(static_cast<char>(0x80 | (code >> 6 & 0x3F))) &&
                 put(static_cast<char>(0x80 | (code & 0x3F)));
        } else {
            ok = put(static_cast<char>(0xF0 | code >> 18)) &&
                 put(static_cast<char>(0x80 | (code >> 12 & 0x3F))) &&
                 put(static_cast<char>(0x80 | (code >> 6 & 0x3F))) &&
                 put(static_cast<char>(0x80 | (code & 0x3F)));
        }
        if (!ok)
            return std::nullopt;
    }
    return length;
}

} // namespace rtc::signal

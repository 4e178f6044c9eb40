#pragma once
// A validating JSON scanner (RFC 8259) for the signaling relay path: one pass over the text, no
// allocation, no DOM. It accepts exactly the texts nlohmann::json::accept() accepts (an optional
// UTF-8 byte order mark, then one value between whitespace; strings checked for UTF-8, escapes
// and surrogate pairs; numbers whose value overflows a double refused; like nlohmann, a NUL
// byte after the value ends the text), except that it stops at nesting deeper than a bound. When
// the root is an object it reports each top-level member's key and value as views into the text,
// duplicates included, in order.
//
//   struct Keys : rtc::signal::JsonMemberVisitor {
//       void on_member(const rtc::signal::JsonMember& m) override { ... m.key, m.value ... }
//   } keys;
//   auto r = rtc::signal::scan_json(text, 32, &keys);
//   if (r.status == rtc::signal::JsonScanStatus::Ok && r.root == rtc::signal::JsonKind::Object)
//       ... trust what `keys` saw (members arrive before the end of the text is checked) ...
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace rtc::signal {

enum class JsonKind : uint8_t { Null, False, True, Number, String, Array, Object };

// One member of the root object.
struct JsonMember {
    std::string_view key;   // between its quotes, escapes not decoded
    std::string_view value; // as written: a string with its quotes, a container whole
    JsonKind kind = JsonKind::Null;
    bool key_escaped = false;   // the key contains a backslash escape
    bool value_escaped = false; // a string value contains a backslash escape
};

class JsonMemberVisitor {
public:
    virtual void on_member(const JsonMember& member) = 0;

protected:
    ~JsonMemberVisitor() = default;
};

enum class JsonScanStatus : uint8_t { Ok, Invalid, TooDeep };

struct JsonScanResult {
    JsonScanStatus status = JsonScanStatus::Invalid;
    JsonKind root = JsonKind::Null; // the root value's kind (when Ok)
    std::size_t offset = 0; // where the scan stopped: when Ok, the end of the text or its NUL
};

// The deepest nesting scan_json() can follow (larger bounds are lowered to it).
inline constexpr std::size_t kMaxJsonScanDepth = 64;

// Validates `text` as one JSON text with at most `max_depth` nested arrays/objects (TooDeep
// beyond). Members of a root object go to `visitor` (may be null) as they complete, before the
// rest of the text is checked: a visitor trusts what it saw only once the result is Ok.
JsonScanResult scan_json(std::string_view text, std::size_t max_depth,
                         JsonMemberVisitor* visitor = nullptr);

// Decodes the inside of a JSON string (between its quotes, as scan_json() accepted it) into
// `out` (RFC 8259 §7: escapes, \u surrogate pairs to UTF-8). Returns the decoded length, or
// nothing when it does not fit in out.size() bytes or `raw` is not a valid string body.
std::optional<std::size_t> json_unescape(std::string_view raw, std::span<char> out);

} // namespace rtc::signal

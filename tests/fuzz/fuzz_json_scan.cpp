// libFuzzer target for the relay path's JSON scanner, differential against nlohmann/json:
// - scan_json() accepts exactly what nlohmann::json::accept() accepts, for texts nested at most
//   32 deep (and says TooDeep for valid texts nested deeper);
// - the root object's members it reports are nlohmann's members: the same keys (decoded with
//   json_unescape()), the last duplicate's value parsing to the member's value, kinds agreeing;
// - ClientMessageScanner gives parse_client_message()'s verdict, error code, error text, type,
//   recipient and ref, and its relayed text parses to the object the DOM path sends (stamp_from),
//   up to key order.
// Any disagreement traps. Input: the bytes are the text, as a client would send them.
#include "signal/json_scan.hpp"
#include "signal/schema.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

using namespace rtc::signal;

namespace {

void require(bool condition) {
    if (!condition)
        __builtin_trap();
}

struct Members final : JsonMemberVisitor {
    void on_member(const JsonMember& m) override { all.push_back(m); }
    std::vector<JsonMember> all;
};

std::string decode(std::string_view raw) {
    std::vector<char> buffer(raw.size()); // decoding never makes a string longer
    const auto length = json_unescape(raw, buffer);
    require(length.has_value());
    return std::string(buffer.data(), *length);
}

bool kind_matches(JsonKind kind, const Json& value) {
    switch (kind) {
    case JsonKind::Null:
        return value.is_null();
    case JsonKind::False:
        return value.is_boolean() && !value.get<bool>();
    case JsonKind::True:
        return value.is_boolean() && value.get<bool>();
    case JsonKind::Number:
        return value.is_number();
    case JsonKind::String:
        return value.is_string();
    case JsonKind::Array:
        return value.is_array();
    case JsonKind::Object:
        return value.is_object();
    }
    return false;
}

void check_scan(std::string_view text) {
    Members members;
    const JsonScanResult result = scan_json(text, kMaxJsonDepth, &members);
    const bool accepted = Json::accept(text);
    // Ok <=> accepted, for texts nested at most 32 deep; TooDeep only for deeper ones.
    if (result.status == JsonScanStatus::Ok)
        require(accepted);
    else if (accepted)
        require(result.status == JsonScanStatus::TooDeep);
    if (json_depth_within(text, kMaxJsonDepth))
        require(result.status != JsonScanStatus::TooDeep);
    if (result.status != JsonScanStatus::Ok)
        return;
    // Ok ends at the end of the text, or at a NUL (nlohmann's end of input).
    require(result.offset == text.size() ||
            (result.offset < text.size() && text[result.offset] == '\0'));
    const Json dom = Json::parse(text, nullptr, false);
    require(!dom.is_discarded());
    require(kind_matches(result.root, dom));
    if (!dom.is_object()) {
        require(members.all.empty());
        return;
    }
    std::map<std::string, const JsonMember*> last;
    for (const auto& m : members.all) {
        // Views into the text.
        require(m.key.data() > text.data() &&
                m.key.data() + m.key.size() < text.data() + text.size());
        require(m.value.data() >= text.data() &&
                m.value.data() + m.value.size() <= text.data() + text.size());
        require(m.key_escaped == (m.key.find('\\') != std::string_view::npos));
        last[decode(m.key)] = &m;
    }
    require(last.size() == dom.size());
    for (const auto& [key, m] : last) {
        const auto it = dom.find(key);
        require(it != dom.end());
        require(kind_matches(m->kind, *it));
        const Json value = Json::parse(m->value, nullptr, false);
        require(!value.is_discarded() && value == *it);
        if (m->kind == JsonKind::String) {
            require(m->value_escaped == (m->value.find('\\') != std::string_view::npos));
            require(decode(m->value.substr(1, m->value.size() - 2)) == it->get<std::string>());
        }
    }
}

void check_client_message(std::string_view text) {
    ClientMessageScanner scanner;
    const auto verdict = scanner.scan(text, "alice");
    ParseResult dom = parse_client_message(text);
    switch (verdict) {
    case ClientMessageScanner::Verdict::Relay: {
        require(dom.message.has_value());
        require(scanner.type() == dom.message->type);
        require(scanner.to() == dom.message->to);
        require(scanner.ref() == dom.message->ref);
        const Json relayed = Json::parse(scanner.relayed(), nullptr, false);
        require(!relayed.is_discarded());
        require(relayed == Json::parse(stamp_from(dom.message->body, "alice")));
        require(json_depth_within(scanner.relayed(), kMaxJsonDepth));
        break;
    }
    case ClientMessageScanner::Verdict::Refuse:
        require(!dom.message.has_value());
        require(scanner.error_code() == dom.error_code);
        require(scanner.error_text() == dom.error_text);
        require(scanner.ref() == dom.ref);
        break;
    case ClientMessageScanner::Verdict::UseDom:
        // Only valid objects the DOM must rewrite or whose keys need decoding come here.
        require(Json::accept(text));
        break;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    check_scan(text);
    check_client_message(text);
    return 0;
}

#include "signal/schema.hpp"

#include "signal/json_scan.hpp"

#include <array>

namespace rtc::signal {

namespace {

// RFC 3986 §2.3 unreserved characters, as a table: ids are checked twice per relayed message.
constexpr std::array<bool, 256> kIdChars = [] {
    std::array<bool, 256> table{};
    for (int c = 0; c < 256; ++c)
        table[static_cast<std::size_t>(c)] = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                             (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                                             c == '~' || c == '-';
    return table;
}();

bool id_char(char c) {
    return kIdChars[static_cast<unsigned char>(c)];
}

ParseResult refuse(std::string_view code, std::string_view text, Json ref = {}) {
    ParseResult r;
    r.error_code = code;
    r.error_text = text;
    r.ref = std::move(ref);
    return r;
}

} // namespace

bool valid_id(std::string_view id) {
    if (id.empty() || id.size() > kMaxIdLength)
        return false;
    if (id == "." || id == "..")
        return false; // dot-segments: URL resolution removes them (RFC 3986 §5.2.4)
    for (const char c : id)
        if (!id_char(c))
            return false;
    return true;
}

bool json_depth_within(std::string_view text, std::size_t max_depth) {
    std::size_t depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (const char c : text) {
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
            continue;
        }
        switch (c) {
        case '"':
            in_string = true;
            break;
        case '[':
        case '{':
            if (++depth > max_depth)
                return false;
            break;
        case ']':
        case '}':
            if (depth > 0)
                --depth;
            break;
        default:
            break;
        }
    }
    return true;
}

std::optional<MessageType> parse_message_type(std::string_view text) {
    if (text == "offer")
        return MessageType::Offer;
    if (text == "answer")
        return MessageType::Answer;
    if (text == "candidate")
        return MessageType::Candidate;
    if (text == "bye")
        return MessageType::Bye;
    if (text == "message")
        return MessageType::Message;
    if (text == "leave")
        return MessageType::Leave;
    return std::nullopt;
}

std::string_view to_string(MessageType type) {
    switch (type) {
    case MessageType::Offer:
        return "offer";
    case MessageType::Answer:
        return "answer";
    case MessageType::Candidate:
        return "candidate";
    case MessageType::Bye:
        return "bye";
    case MessageType::Message:
        return "message";
    case MessageType::Leave:
        return "leave";
    }
    return "unknown";
}

ParseResult parse_client_message(std::string_view text) {
    if (!json_depth_within(text, kMaxJsonDepth))
        return refuse(error_code::kBadJson, "nested deeper than 32 levels");
    Json body = Json::parse(text, nullptr, false);
    if (body.is_discarded())
        return refuse(error_code::kBadJson, "not valid JSON");
    if (!body.is_object())
        return refuse(error_code::kBadMessage, "not a JSON object");

    Json ref;
    if (auto id = body.find("id"); id != body.end()) {
        if (!id->is_string() && !id->is_number())
            return refuse(error_code::kBadMessage, "\"id\" must be a string or a number");
        ref = *id;
    }
    auto type_it = body.find("type");
    if (type_it == body.end() || !type_it->is_string())
        return refuse(error_code::kBadMessage, "\"type\" must be a string", std::move(ref));
    auto type = parse_message_type(type_it->get_ref<const std::string&>());
    if (!type)
        return refuse(error_code::kUnknownType, "unknown \"type\"", std::move(ref));

    ClientMessage message;
    message.type = *type;
    if (auto to = body.find("to"); to != body.end()) {
        if (to->is_null()) {
            body.erase("to"); // JavaScript's null: the same as no recipient
        } else if (!to->is_string() || !valid_id(to->get_ref<const std::string&>())) {
            return refuse(error_code::kBadMessage, "\"to\" must be a peer id", std::move(ref));
        } else {
            message.to = to->get<std::string>();
        }
    }

    switch (*type) {
    case MessageType::Offer:
    case MessageType::Answer: {
        auto sdp = body.find("sdp");
        if (sdp == body.end() || !sdp->is_string())
            return refuse(error_code::kBadMessage, "\"sdp\" must be a string", std::move(ref));
        break;
    }
    case MessageType::Candidate: {
        auto candidate = body.find("candidate");
        auto end = body.find("end");
        const bool has_end = end != body.end();
        if (has_end && !(end->is_boolean() && end->get<bool>()))
            return refuse(error_code::kBadMessage, "\"end\" must be true", std::move(ref));
        if (candidate == body.end() && !has_end)
            return refuse(error_code::kBadMessage, "\"candidate\" or \"end\" is missing",
                          std::move(ref));
        if (candidate == body.end() || candidate->is_null()) {
            // End of candidates (RFC 8838 §4, §8.2): one spelling on the wire, "end":true.
            if (candidate != body.end())
                body.erase("candidate");
            body["end"] = true;
        } else if (!candidate->is_object() && !candidate->is_string()) {
            return refuse(error_code::kBadMessage, "\"candidate\" must be an object or a string",
                          std::move(ref));
        } else if (has_end) {
            return refuse(error_code::kBadMessage, "a candidate with \"end\"", std::move(ref));
        }
        break;
    }
    case MessageType::Message:
        if (!body.contains("data"))
            return refuse(error_code::kBadMessage, "\"data\" is missing", std::move(ref));
        break;
    case MessageType::Bye:
    case MessageType::Leave:
        break;
    }
    message.body = std::move(body);
    message.ref = std::move(ref);
    ParseResult result;
    result.message = std::move(message);
    return result;
}

std::string to_text(const Json& value) {
    return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string stamp_from(Json& body, std::string_view from) {
    body["from"] = from;
    return to_text(body);
}

namespace {

// What ClientMessageScanner needs from the top-level members (the last of duplicates wins, as
// in nlohmann's objects), and the relayed text built as they go by: runs of consecutive members
// other than "from" are copied as written, joined by commas.
class RelayFields final : public JsonMemberVisitor {
public:
    explicit RelayFields(std::string& out) : out_(out) {
        out_.clear();
        out_.push_back('{');
    }

    void on_member(const JsonMember& m) override {
        escaped_key = escaped_key || m.key_escaped;
        const std::string_view key = m.key;
        if (key == "from") {
            flush(); // the sender is stamped by the server, never taken from the client
            return;
        }
        if (key == "type")
            type = m;
        else if (key == "to")
            to = m;
        else if (key == "id")
            id = m;
        else if (key == "sdp")
            sdp = m;
        else if (key == "candidate")
            candidate = m;
        else if (key == "end")
            end = m;
        else if (key == "data")
            data = m;
        const char* begin = m.key.data() - 1; // the key's opening quote
        if (run_begin_ == nullptr)
            run_begin_ = begin;
        run_end_ = m.value.data() + m.value.size();
    }

    // Closes the object with "from":FROM (a peer id needs no escaping; anything else is
    // serialised by nlohmann).
    void finish(std::string_view from) {
        flush();
        out_.append(kept_ ? ",\"from\":" : "\"from\":");
        if (valid_id(from)) {
            out_.push_back('"');
            out_.append(from);
            out_.push_back('"');
        } else {
            out_.append(to_text(Json(from)));
        }
        out_.push_back('}');
    }

    std::optional<JsonMember> type, to, id, sdp, candidate, end, data;
    bool escaped_key = false;

private:
    void flush() {
        if (run_begin_ == nullptr)
            return;
        if (kept_)
            out_.push_back(',');
        out_.append(run_begin_, run_end_);
        kept_ = true;
        run_begin_ = nullptr;
    }

    std::string& out_;
    const char* run_begin_ = nullptr;
    const char* run_end_ = nullptr;
    bool kept_ = false; // a member is in out_ already
};

// The inside of a string member's value, decoded into `buffer` when written with escapes.
std::optional<std::string_view> string_value(const JsonMember& m, std::span<char> buffer) {
    const std::string_view inner = m.value.substr(1, m.value.size() - 2);
    if (!m.value_escaped)
        return inner;
    const auto length = json_unescape(inner, buffer);
    if (!length)
        return std::nullopt;
    return std::string_view(buffer.data(), *length);
}

} // namespace

ClientMessageScanner::Verdict ClientMessageScanner::refuse(std::string_view code,
                                                           std::string_view text) {
    error_code_ = code;
    error_text_ = text;
    return Verdict::Refuse;
}

Json ClientMessageScanner::ref() const {
    if (ref_text_.empty())
        return Json();
    Json value = Json::parse(ref_text_, nullptr, false);
    return value.is_discarded() ? Json() : value;
}

// The same checks, in the same order, with the same answers as parse_client_message().
ClientMessageScanner::Verdict ClientMessageScanner::scan(std::string_view text,
                                                         std::string_view from) {
    type_ = MessageType::Bye;
    to_ = {};
    ref_text_ = {};
    error_code_ = {};
    error_text_ = {};
    RelayFields fields(relayed_);
    const JsonScanResult scanned = scan_json(text, kMaxJsonDepth, &fields);
    if (scanned.status != JsonScanStatus::Ok) {
        // parse_client_message() looks at the depth first, then at the grammar.
        if (scanned.status == JsonScanStatus::TooDeep || !json_depth_within(text, kMaxJsonDepth))
            return refuse(error_code::kBadJson, "nested deeper than 32 levels");
        return refuse(error_code::kBadJson, "not valid JSON");
    }
    // Text after a NUL that ended the JSON text is not JSON, but parse_client_message() counts
    // its brackets too.
    if (scanned.offset != text.size() && !json_depth_within(text, kMaxJsonDepth))
        return refuse(error_code::kBadJson, "nested deeper than 32 levels");
    if (scanned.root != JsonKind::Object)
        return refuse(error_code::kBadMessage, "not a JSON object");
    if (fields.escaped_key)
        return Verdict::UseDom; // "\u0066rom" is "from": leave such keys to the DOM

    if (fields.id) {
        if (fields.id->kind != JsonKind::String && fields.id->kind != JsonKind::Number)
            return refuse(error_code::kBadMessage, "\"id\" must be a string or a number");
        ref_text_ = fields.id->value;
    }
    if (!fields.type || fields.type->kind != JsonKind::String)
        return refuse(error_code::kBadMessage, "\"type\" must be a string");
    char type_buffer[16];
    const auto type_name = string_value(*fields.type, type_buffer);
    const auto type = type_name ? parse_message_type(*type_name) : std::nullopt;
    if (!type)
        return refuse(error_code::kUnknownType, "unknown \"type\"");
    type_ = *type;

    if (fields.to) {
        if (fields.to->kind == JsonKind::Null)
            return Verdict::UseDom; // JavaScript's null: erased from the relayed object
        const auto to = fields.to->kind == JsonKind::String ? string_value(*fields.to, to_buffer_)
                                                            : std::nullopt;
        if (!to || !valid_id(*to))
            return refuse(error_code::kBadMessage, "\"to\" must be a peer id");
        to_ = *to;
    }

    switch (*type) {
    case MessageType::Offer:
    case MessageType::Answer:
        if (!fields.sdp || fields.sdp->kind != JsonKind::String)
            return refuse(error_code::kBadMessage, "\"sdp\" must be a string");
        break;
    case MessageType::Candidate: {
        const bool has_end = fields.end.has_value();
        if (has_end && fields.end->kind != JsonKind::True)
            return refuse(error_code::kBadMessage, "\"end\" must be true");
        if (!fields.candidate && !has_end)
            return refuse(error_code::kBadMessage, "\"candidate\" or \"end\" is missing");
        if (!fields.candidate)
            break; // "end":true as it is
        const JsonKind kind = fields.candidate->kind;
        if (kind == JsonKind::Null)
            return Verdict::UseDom; // becomes "end":true (RFC 8838 §4)
        if (kind != JsonKind::Object && kind != JsonKind::String)
            return refuse(error_code::kBadMessage, "\"candidate\" must be an object or a string");
        if (has_end)
            return refuse(error_code::kBadMessage, "a candidate with \"end\"");
        break;
    }
    case MessageType::Message:
        if (!fields.data)
            return refuse(error_code::kBadMessage, "\"data\" is missing");
        break;
    case MessageType::Bye:
    case MessageType::Leave:
        break;
    }
    fields.finish(from);
    return Verdict::Relay;
}

std::string welcome_message(std::string_view room, std::string_view id,
                            std::span<const std::string> peers, std::string_view resume_token,
                            bool resumed, int64_t resume_grace_ms) {
    Json j;
    j["type"] = "welcome";
    j["v"] = kSchemaVersion;
    j["room"] = room;
    j["id"] = id;
    Json list = Json::array();
    for (const auto& p : peers)
        list.push_back(p);
    j["peers"] = std::move(list);
    j["resume"] = resume_token;
    j["resumed"] = resumed;
    j["resume_grace_ms"] = resume_grace_ms;
    return to_text(j);
}

namespace {

std::string peer_event(std::string_view type, std::string_view id) {
    Json j;
    j["type"] = type;
    j["id"] = id;
    return to_text(j);
}

} // namespace

std::string joined_message(std::string_view id) {
    return peer_event("joined", id);
}
std::string away_message(std::string_view id) {
    return peer_event("away", id);
}
std::string back_message(std::string_view id) {
    return peer_event("back", id);
}

std::string left_message(std::string_view id, std::string_view reason) {
    Json j;
    j["type"] = "left";
    j["id"] = id;
    j["reason"] = reason;
    return to_text(j);
}

std::string error_message(std::string_view code, std::string_view text, const Json& ref) {
    Json j;
    j["type"] = "error";
    j["code"] = code;
    j["message"] = text;
    if (!ref.is_null())
        j["ref"] = ref;
    return to_text(j);
}

std::string expired_message(std::string_view to, const Json& ref, std::string_view of) {
    Json j;
    j["type"] = "expired";
    j["to"] = to;
    if (!ref.is_null())
        j["ref"] = ref;
    j["of"] = of;
    return to_text(j);
}

} // namespace rtc::signal

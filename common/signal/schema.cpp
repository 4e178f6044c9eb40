#include "signal/schema.hpp"

namespace rtc::signal {

namespace {

bool id_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '~' || c == '-';
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

#include "signal/cluster_event.hpp"

namespace rtc::signal {

namespace {

std::string_view kind_name(ClusterEventKind kind) {
    switch (kind) {
    case ClusterEventKind::Join:
        return "join";
    case ClusterEventKind::Leave:
        return "leave";
    case ClusterEventKind::Away:
        return "away";
    case ClusterEventKind::Back:
        return "back";
    case ClusterEventKind::Message:
        return "msg";
    case ClusterEventKind::Roster:
        return "roster";
    }
    return "?";
}

std::optional<ClusterEventKind> parse_kind(std::string_view s) {
    for (auto k : {ClusterEventKind::Join, ClusterEventKind::Leave, ClusterEventKind::Away,
                   ClusterEventKind::Back, ClusterEventKind::Message, ClusterEventKind::Roster})
        if (kind_name(k) == s)
            return k;
    return std::nullopt;
}

Json header(std::string_view node, ClusterEventKind kind) {
    Json j;
    j["v"] = kClusterSchemaVersion;
    j["n"] = node;
    j["e"] = kind_name(kind);
    return j;
}

// The string member `key` if present and a string satisfying `ok`.
template <class Pred>
std::optional<std::string> string_member(const Json& j, const char* key, Pred ok) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string())
        return std::nullopt;
    const auto& s = it->get_ref<const std::string&>();
    if (!ok(s))
        return std::nullopt;
    return s;
}

bool valid_node(std::string_view s) {
    if (s.empty() || s.size() > kMaxNodeIdLength)
        return false;
    for (const char c : s)
        if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e)
            return false;
    return true;
}

} // namespace

std::string encode_peer_event(ClusterEventKind kind, std::string_view node, std::string_view room,
                              std::string_view peer, std::string_view reason) {
    Json j = header(node, kind);
    j["r"] = room;
    j["p"] = peer;
    if (kind == ClusterEventKind::Leave)
        j["w"] = reason;
    return to_text(j);
}

std::string encode_message_event(std::string_view node, std::string_view room,
                                 std::string_view from, std::string_view to, std::string_view of,
                                 const Json& ref, std::string_view text) {
    Json j = header(node, ClusterEventKind::Message);
    j["r"] = room;
    j["f"] = from;
    if (!to.empty())
        j["t"] = to;
    j["o"] = of;
    if (!ref.is_null())
        j["i"] = ref;
    j["m"] = text;
    return to_text(j);
}

// Written as text: ids are valid_id()s, which JSON strings hold without escaping.
RosterWriter::RosterWriter(std::string_view node) {
    text_ = R"({"v":)" + std::to_string(kClusterSchemaVersion) + R"(,"n":)" + to_text(Json(node)) +
            R"(,"e":"roster","s":{)";
}

void RosterWriter::begin_room(std::string_view room) {
    if (!first_room_)
        text_ += "],";
    first_room_ = false;
    first_peer_ = true;
    text_ += '"';
    text_ += room;
    text_ += "\":[";
}

void RosterWriter::add_peer(std::string_view peer) {
    if (!first_peer_)
        text_ += ',';
    first_peer_ = false;
    text_ += '"';
    text_ += peer;
    text_ += '"';
}

std::string RosterWriter::finish() {
    if (!first_room_)
        text_ += ']';
    text_ += "}}";
    return std::move(text_);
}

std::optional<ClusterEvent> decode_cluster_event(std::string_view payload, std::size_t max_text) {
    // Roster arrays sit at depth 3; nothing legitimate nests deeper than a client's "id" ref.
    if (!json_depth_within(payload, 4))
        return std::nullopt;
    const Json j = Json::parse(payload, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return std::nullopt;
    auto v = j.find("v");
    if (v == j.end() || !v->is_number_integer() || v->get<int64_t>() != kClusterSchemaVersion)
        return std::nullopt;
    auto node = string_member(j, "n", valid_node);
    auto kind_text = string_member(j, "e", [](const std::string&) { return true; });
    if (!node || !kind_text)
        return std::nullopt;
    auto kind = parse_kind(*kind_text);
    if (!kind)
        return std::nullopt;

    ClusterEvent event;
    event.kind = *kind;
    event.node = std::move(*node);
    if (*kind == ClusterEventKind::Roster) {
        auto s = j.find("s");
        if (s == j.end() || !s->is_object())
            return std::nullopt;
        for (const auto& [room, peers] : s->items()) {
            if (!valid_id(room) || !peers.is_array())
                return std::nullopt;
            std::vector<std::string> ids;
            ids.reserve(peers.size());
            for (const auto& p : peers) {
                if (!p.is_string() || !valid_id(p.get_ref<const std::string&>()))
                    return std::nullopt;
                ids.push_back(p.get<std::string>());
            }
            event.roster.emplace_back(room, std::move(ids));
        }
        return event;
    }

    auto room = string_member(j, "r", [](const std::string& s) { return valid_id(s); });
    if (!room)
        return std::nullopt;
    event.room = std::move(*room);
    if (*kind != ClusterEventKind::Message) {
        auto peer = string_member(j, "p", [](const std::string& s) { return valid_id(s); });
        if (!peer)
            return std::nullopt;
        event.peer = std::move(*peer);
        if (*kind == ClusterEventKind::Leave) {
            auto why = string_member(
                j, "w", [](const std::string& s) { return s == kLeftLeave || s == kLeftGone; });
            if (!why)
                return std::nullopt;
            event.reason = std::move(*why);
        }
        return event;
    }

    auto from = string_member(j, "f", [](const std::string& s) { return valid_id(s); });
    auto of = string_member(j, "o", [](const std::string& s) {
        return s == "expired" || parse_message_type(s).has_value();
    });
    // The text goes to clients as it is: it must be one JSON object (checked without a DOM).
    auto text = string_member(j, "m", [&](const std::string& s) {
        return !s.empty() && s.size() <= max_text && s.front() == '{' &&
               json_depth_within(s, kMaxJsonDepth) && Json::accept(s);
    });
    if (!from || !of || !text)
        return std::nullopt;
    if (j.contains("t")) {
        auto to = string_member(j, "t", [](const std::string& s) { return valid_id(s); });
        if (!to)
            return std::nullopt;
        event.to = std::move(*to);
    }
    if (auto i = j.find("i"); i != j.end()) {
        if (!i->is_string() && !i->is_number())
            return std::nullopt;
        event.ref = *i;
    }
    event.from = std::move(*from);
    event.of = std::move(*of);
    event.text = std::move(*text);
    return event;
}

} // namespace rtc::signal

#include "rooms.hpp"

#include "sdp/description.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <utility>
#include <vector>

namespace rtc::sfu_tool {

// One member's WebSocket.
class RoomMember final : public net::WebSocketHandler {
public:
    RoomMember(RoomHub& hub, net::WebSocket& socket, std::string id, std::string room) : hub_(hub) {
        member_.id = std::move(id);
        member_.room = std::move(room);
        member_.socket = &socket;
    }
    RoomHub::Member& member() { return member_; }
    void on_message(std::string_view data, bool binary) override {
        if (binary) {
            member_.socket->close(1003, "text messages only");
            return;
        }
        hub_.on_message(member_, data);
    }
    void on_close(uint16_t, std::string_view, bool) override { hub_.leave(member_); }

private:
    RoomHub& hub_;
    RoomHub::Member member_;
};

namespace {

constexpr std::size_t kMaxField = 64; // member ids, rids

std::string error_message(std::string_view error, int status = 0) {
    nlohmann::json j = {{"type", "error"}, {"error", error}};
    if (status)
        j["status"] = status;
    // The reason may quote untrusted text: never let invalid UTF-8 throw.
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace

RoomHub::RoomHub(sfu::Router& router, app::Logger& log, std::size_t max_members,
                 std::size_t max_rooms)
    : router_(router), log_(log), max_members_(max_members), max_rooms_(max_rooms) {}

std::unique_ptr<net::WebSocketHandler> RoomHub::join(net::WebSocket& socket,
                                                     std::string_view room) {
    if (!rooms_.count(std::string(room)) && rooms_.size() >= max_rooms_)
        return nullptr;
    auto& members = rooms_[std::string(room)];
    if (members.size() >= max_members_) {
        if (members.empty())
            rooms_.erase(std::string(room));
        return nullptr;
    }
    auto handler =
        std::make_unique<RoomMember>(*this, socket, std::to_string(next_id_++), std::string(room));
    auto& m = handler->member();
    nlohmann::json publishers = nlohmann::json::array();
    for (const auto& [id, other] : members)
        if (!other->published.empty())
            publishers.push_back(id);
    members[m.id] = &m;
    socket.send_text(
        nlohmann::json{{"type", "welcome"}, {"id", m.id}, {"publishers", publishers}}.dump());
    log_.info("room joined", {{"room", m.room}, {"member", m.id}, {"from", socket.remote()}});
    return handler;
}

void RoomHub::broadcast(const std::string& room, const std::string& except,
                        const std::string& text) {
    auto r = rooms_.find(room);
    if (r == rooms_.end())
        return;
    for (const auto& [id, member] : r->second)
        if (id != except)
            member->socket->send_text(text);
}

void RoomHub::on_message(Member& m, std::string_view text) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) {
        m.socket->send_text(error_message("expected a JSON object with a \"type\"", 400));
        return;
    }
    const auto type = j["type"].get<std::string>();
    // Fields are optional strings; a present field of another type is a bad request.
    auto field = [&](const char* name, std::string& out) {
        if (!j.contains(name))
            return false;
        if (!j[name].is_string() || j[name].get_ref<const std::string&>().size() > kMaxField)
            return false;
        out = j[name].get<std::string>();
        return true;
    };
    std::string sdp;
    const bool needs_sdp = type == "publish" || type == "subscribe" || type == "renegotiate";
    if (needs_sdp) {
        if (!j.contains("sdp") || !j["sdp"].is_string()) {
            m.socket->send_text(error_message("\"sdp\" (a string) is missing", 400));
            return;
        }
        if (j["sdp"].get_ref<const std::string&>().size() > sdp::kMaxSdpBytes) {
            m.socket->send_text(error_message("the SDP is too large", 413));
            return;
        }
        sdp = j["sdp"].get<std::string>();
    }
    std::string publisher;
    const bool has_publisher = field("publisher", publisher);
    if (j.contains("publisher") && !has_publisher) {
        m.socket->send_text(error_message("\"publisher\" must be a member id", 400));
        return;
    }
    if (type == "publish") {
        if (!m.published.empty()) {
            m.socket->send_text(error_message("already publishing: unpublish first", 409));
            return;
        }
        auto n = router_.publish(stream_of(m.room, m.id), sdp, std::chrono::steady_clock::now());
        if (n.status != 201) {
            m.socket->send_text(error_message(n.error, n.status));
            return;
        }
        m.published = n.resource;
        by_resource_[n.resource] = &m;
        m.socket->send_text(
            nlohmann::json{{"type", "answer"}, {"resource", n.resource}, {"sdp", n.answer}}.dump());
        broadcast(m.room, m.id, nlohmann::json{{"type", "published"}, {"id", m.id}}.dump());
    } else if (type == "subscribe") {
        if (!has_publisher) {
            m.socket->send_text(error_message("\"publisher\" is missing", 400));
            return;
        }
        subscribe(m, publisher, sdp);
    } else if (type == "renegotiate") {
        renegotiate(m, sdp);
    } else if (type == "unsubscribe") {
        unsubscribe(m, has_publisher ? &publisher : nullptr);
    } else if (type == "layer") {
        std::string rid;
        if (!field("rid", rid) || m.receiving.empty() || !router_.select_layer(m.receiving, rid))
            m.socket->send_text(error_message("no receiving session or no such layer", 404));
    } else if (type == "unpublish") {
        if (!m.published.empty())
            router_.remove(m.published); // on_removed() tells the room
    } else {
        m.socket->send_text(error_message("unknown type", 400));
    }
}

void RoomHub::subscribe(Member& m, const std::string& publisher, const std::string& sdp) {
    auto room = rooms_.find(m.room);
    const Member* p = nullptr;
    if (room != rooms_.end())
        if (auto it = room->second.find(publisher); it != room->second.end())
            p = it->second;
    if (!p || p->published.empty()) {
        m.socket->send_text(error_message("no such publisher in this room", 404));
        return;
    }
    const auto stream = stream_of(m.room, publisher);
    const auto now = std::chrono::steady_clock::now();
    // The first subscription creates the receiving session; later ones renegotiate it.
    if (m.receiving.empty()) {
        auto n = router_.subscribe(stream, sdp, now);
        if (n.status != 201) {
            m.socket->send_text(error_message(n.error, n.status));
            return;
        }
        m.receiving = n.resource;
        by_resource_[n.resource] = &m;
        m.socket->send_text(nlohmann::json{{"type", "answer"},
                                           {"resource", n.resource},
                                           {"publisher", publisher},
                                           {"sdp", n.answer},
                                           {"mids", router_.mids(n.resource, stream)}}
                                .dump());
        return;
    }
    auto n = router_.renegotiate(m.receiving, stream, sdp, now);
    if (n.status != 200) {
        m.socket->send_text(error_message(n.error, n.status));
        return;
    }
    m.socket->send_text(nlohmann::json{{"type", "answer"},
                                       {"resource", m.receiving},
                                       {"publisher", publisher},
                                       {"sdp", n.answer},
                                       {"mids", router_.mids(m.receiving, stream)}}
                            .dump());
}

void RoomHub::renegotiate(Member& m, const std::string& sdp) {
    if (m.receiving.empty()) {
        m.socket->send_text(error_message("no receiving session: subscribe first", 404));
        return;
    }
    auto n = router_.renegotiate(m.receiving, "", sdp, std::chrono::steady_clock::now());
    if (n.status != 200) {
        m.socket->send_text(error_message(n.error, n.status));
        return;
    }
    m.socket->send_text(nlohmann::json{{"type", "answer"},
                                       {"resource", m.receiving},
                                       {"sdp", n.answer},
                                       {"mids", nlohmann::json::array()}}
                            .dump());
}

void RoomHub::unsubscribe(Member& m, const std::string* publisher) {
    if (!publisher) {
        if (m.receiving.empty())
            return;
        by_resource_.erase(m.receiving);
        router_.remove(std::exchange(m.receiving, {}));
        return;
    }
    std::vector<std::string> mids;
    if (!m.receiving.empty())
        mids = router_.detach(m.receiving, stream_of(m.room, *publisher));
    m.socket->send_text(
        nlohmann::json{{"type", "unsubscribed"}, {"publisher", *publisher}, {"mids", mids}}.dump());
}

void RoomHub::on_removed(const std::string& resource) {
    auto it = by_resource_.find(resource);
    if (it == by_resource_.end())
        return;
    Member& m = *it->second;
    by_resource_.erase(it);
    if (m.receiving == resource)
        m.receiving.clear();
    if (m.published == resource) {
        // The router detached its viewers' tracks; their pages renegotiate them away.
        m.published.clear();
        broadcast(m.room, "", nlohmann::json{{"type", "unpublished"}, {"id", m.id}}.dump());
    }
}

void RoomHub::leave(Member& m) {
    // Sessions end with the member; on_removed() must not find them any more.
    for (auto* resource : {&m.published, &m.receiving}) {
        if (resource->empty())
            continue;
        by_resource_.erase(*resource);
        router_.remove(*resource);
    }
    auto room = rooms_.find(m.room);
    if (room != rooms_.end()) {
        room->second.erase(m.id);
        if (room->second.empty())
            rooms_.erase(room);
    }
    broadcast(m.room, m.id, nlohmann::json{{"type", "left"}, {"id", m.id}}.dump());
    log_.info("room left", {{"room", m.room}, {"member", m.id}});
}

void RoomHub::close_all() {
    for (auto& [name, members] : rooms_)
        for (auto& [id, member] : members)
            member->socket->close(1001, "server stopping");
}

nlohmann::json RoomHub::summary() const {
    auto rooms = nlohmann::json::array();
    for (const auto& [name, members] : rooms_) {
        auto list = nlohmann::json::array();
        for (const auto& [id, m] : members)
            list.push_back({{"id", id}, {"publishing", m->published}, {"receiving", m->receiving}});
        rooms.push_back({{"name", name}, {"members", std::move(list)}});
    }
    return rooms;
}

} // namespace rtc::sfu_tool

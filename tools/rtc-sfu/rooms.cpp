#include "rooms.hpp"

#include <nlohmann/json.hpp>

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

std::string error_message(std::string_view error, int status = 0) {
    nlohmann::json j = {{"type", "error"}, {"error", error}};
    if (status)
        j["status"] = status;
    return j.dump();
}

} // namespace

RoomHub::RoomHub(sfu::Router& router, app::Logger& log, std::size_t max_members)
    : router_(router), log_(log), max_members_(max_members) {}

std::unique_ptr<net::WebSocketHandler> RoomHub::join(net::WebSocket& socket,
                                                     std::string_view room) {
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
        m.socket->send_text(error_message("expected a JSON object with a \"type\""));
        return;
    }
    const auto type = j["type"].get<std::string>();
    const auto now = std::chrono::steady_clock::now();
    auto sdp = [&]() -> std::string {
        return j.contains("sdp") && j["sdp"].is_string() ? j["sdp"].get<std::string>() : "";
    };
    if (type == "publish") {
        if (!m.published.empty()) {
            m.socket->send_text(error_message("already publishing: unpublish first", 409));
            return;
        }
        auto n = router_.publish(stream_of(m), sdp(), now);
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
        const auto publisher = j.contains("publisher") && j["publisher"].is_string()
                                   ? j["publisher"].get<std::string>()
                                   : "";
        auto r = rooms_.find(m.room);
        auto p = r == rooms_.end() ? nullptr
                                   : (r->second.count(publisher) ? r->second[publisher] : nullptr);
        if (!p || p->published.empty()) {
            m.socket->send_text(error_message("no such publisher in this room", 404));
            return;
        }
        auto n = router_.subscribe(stream_of(*p), sdp(), now);
        if (n.status != 201) {
            m.socket->send_text(error_message(n.error, n.status));
            return;
        }
        m.subscriptions[n.resource] = publisher;
        by_resource_[n.resource] = &m;
        m.socket->send_text(nlohmann::json{
            {"type", "answer"},
            {"publisher", publisher},
            {"resource", n.resource},
            {"sdp", n.answer}}.dump());
    } else if (type == "layer") {
        const auto resource = j.contains("resource") && j["resource"].is_string()
                                  ? j["resource"].get<std::string>()
                                  : "";
        const auto rid =
            j.contains("rid") && j["rid"].is_string() ? j["rid"].get<std::string>() : "";
        if (!m.subscriptions.count(resource) || !router_.select_layer(resource, rid))
            m.socket->send_text(error_message("no such subscription or layer", 404));
    } else if (type == "unpublish") {
        if (!m.published.empty())
            router_.remove(m.published); // on_removed() tells the room
    } else if (type == "unsubscribe") {
        const auto resource = j.contains("resource") && j["resource"].is_string()
                                  ? j["resource"].get<std::string>()
                                  : "";
        if (m.subscriptions.count(resource))
            router_.remove(resource);
    } else {
        m.socket->send_text(error_message("unknown type: " + type));
    }
}

void RoomHub::on_removed(const std::string& resource) {
    auto it = by_resource_.find(resource);
    if (it == by_resource_.end())
        return;
    Member& m = *it->second;
    by_resource_.erase(it);
    m.subscriptions.erase(resource);
    if (m.published == resource) {
        m.published.clear();
        broadcast(m.room, "", nlohmann::json{{"type", "unpublished"}, {"id", m.id}}.dump());
        end_subscriptions_to(m);
    }
}

void RoomHub::end_subscriptions_to(const Member& publisher) {
    auto room = rooms_.find(publisher.room);
    if (room == rooms_.end())
        return;
    std::vector<std::string> ended;
    for (const auto& [id, member] : room->second)
        for (const auto& [resource, from] : member->subscriptions)
            if (from == publisher.id)
                ended.push_back(resource);
    for (const auto& resource : ended)
        router_.remove(resource); // on_removed() erases it from its member
}

void RoomHub::leave(Member& m) {
    // Sessions end with the member; on_removed() must not find it any more.
    std::vector<std::string> resources;
    for (const auto& [resource, from] : m.subscriptions)
        resources.push_back(resource);
    if (!m.published.empty())
        resources.push_back(m.published);
    for (const auto& r : resources)
        by_resource_.erase(r);
    for (const auto& r : resources)
        router_.remove(r);
    if (!m.published.empty())
        end_subscriptions_to(m);
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

} // namespace rtc::sfu_tool

// signal::Rooms across nodes: publishing this node's events and roster on the ClusterBus and
// applying other nodes' (the bus schema is in cluster_event.hpp).
#include "signal/rooms_state.hpp"

#include <algorithm>
#include <iterator>

namespace rtc::signal {

void Rooms::State::publish(const std::string& payload) {
    if (bus == nullptr)
        return;
    bus->publish(payload);
    ++counters.cluster_out;
}

void Rooms::State::publish_roster(TimePoint now) {
    next_roster = now + kRosterInterval;
    if (bus == nullptr)
        return;
    RosterWriter roster(node_id);
    for (const auto& [name, room] : rooms) {
        if (room.local.empty())
            continue;
        roster.begin_room(name);
        for (const auto& [peer, p] : room.local)
            roster.add_peer(peer);
    }
    publish(roster.finish());
}

void Rooms::State::on_cluster_connected(TimePoint now) {
    publish_roster(now);
}

void Rooms::State::on_cluster_event(std::string_view payload, TimePoint now) {
    // A relayed message grows by its "from" and by JSON string escaping.
    const std::size_t max_text = 2 * limits.max_message + 1024;
    auto event = decode_cluster_event(payload, max_text);
    if (!event) {
        ++counters.cluster_in;
        ++counters.cluster_bad;
        return;
    }
    if (event->node == node_id)
        return; // our own event back from the bus
    ++counters.cluster_in;
    const std::string node = event->node;
    auto [it, inserted] = nodes.try_emplace(node);
    if (inserted) {
        it->second.last_roster = now;
        // A node we did not know: tell it at once who is here rather than in up to 5 s.
        publish_roster(now);
    }

    switch (event->kind) {
    case ClusterEventKind::Join:
        add_remote(node, event->room, event->peer, true);
        break;
    case ClusterEventKind::Leave:
        remove_remote(node, event->room, event->peer, event->reason);
        break;
    case ClusterEventKind::Away:
    case ClusterEventKind::Back: {
        auto r = rooms.find(event->room);
        if (r == rooms.end())
            break;
        auto p = r->second.remote.find(event->peer);
        if (p == r->second.remote.end() || p->second != node)
            break;
        tell_room(event->room, event->peer,
                  event->kind == ClusterEventKind::Away ? away_message(event->peer)
                                                        : back_message(event->peer));
        break;
    }
    case ClusterEventKind::Message:
        apply_message(*event);
        break;
    case ClusterEventKind::Roster:
        apply_roster(node, *event);
        if (auto n = nodes.find(node); n != nodes.end())
            n->second.last_roster = now;
        break;
    }
}

void Rooms::State::add_remote(const std::string& node, const std::string& room,
                              const std::string& peer, bool notify) {
    Room& r = rooms[room];
    auto [it, inserted] = r.remote.try_emplace(peer, node);
    if (!inserted) {
        if (it->second == node)
            return;
        // Another node claimed this peer before: the latest claim wins.
        if (auto old = nodes.find(it->second); old != nodes.end())
            old->second.peers.erase({room, peer});
        it->second = node;
        nodes[node].peers.emplace(room, peer);
        return;
    }
    nodes[node].peers.emplace(room, peer);
    if (notify && !r.local.contains(peer))
        tell_room(room, peer, joined_message(peer));
}

void Rooms::State::remove_remote(const std::string& node, const std::string& room,
                                 const std::string& peer, std::string_view reason) {
    if (auto n = nodes.find(node); n != nodes.end())
        n->second.peers.erase({room, peer});
    auto r = rooms.find(room);
    if (r == rooms.end())
        return;
    auto p = r->second.remote.find(peer);
    if (p == r->second.remote.end() || p->second != node)
        return;
    r->second.remote.erase(p);
    const bool also_local = r->second.local.contains(peer);
    if (!also_local)
        tell_room(room, peer, left_message(peer, reason));
    erase_room_if_empty(room);
}

void Rooms::State::forget_node(const std::string& node) {
    auto n = nodes.find(node);
    if (n == nodes.end())
        return;
    const auto peers = n->second.peers; // remove_remote edits the set
    for (const auto& [room, peer] : peers)
        remove_remote(node, room, peer, kLeftGone);
    nodes.erase(node);
}

void Rooms::State::expire_nodes(TimePoint now) {
    std::vector<std::string> stale;
    for (const auto& [name, n] : nodes)
        if (now >= n.last_roster + kNodeTimeout)
            stale.push_back(name);
    for (const auto& name : stale)
        forget_node(name);
}

void Rooms::State::apply_roster(const std::string& node, const ClusterEvent& event) {
    std::set<std::pair<std::string, std::string>> fresh;
    for (const auto& [room, peers] : event.roster)
        for (const auto& peer : peers)
            fresh.emplace(room, peer);
    const auto old = nodes[node].peers;
    // The roster is the truth about that node: whatever events were lost, converge on it.
    std::vector<std::pair<std::string, std::string>> gone;
    std::set_difference(old.begin(), old.end(), fresh.begin(), fresh.end(),
                        std::back_inserter(gone));
    for (const auto& [room, peer] : gone)
        remove_remote(node, room, peer, kLeftGone);
    for (const auto& [room, peer] : fresh)
        if (!old.contains({room, peer}))
            add_remote(node, room, peer, true);
}

void Rooms::State::apply_message(const ClusterEvent& event) {
    if (!event.to.empty())
        deliver_local(event.room, event.to, event.text, event.from, event.of, event.ref);
    else
        deliver_local_room(event.room, event.from, event.text, event.from, event.of, event.ref);
}

std::size_t Rooms::State::remote_peer_count() const {
    std::size_t n = 0;
    for (const auto& [name, node] : nodes)
        n += node.peers.size();
    return n;
}

std::optional<TimePoint> Rooms::State::cluster_deadline() const {
    std::optional<TimePoint> deadline;
    if (bus != nullptr)
        deadline = next_roster.value_or(TimePoint{}); // never published: due at once
    for (const auto& [name, node] : nodes) {
        const TimePoint t = node.last_roster + kNodeTimeout;
        if (!deadline || t < *deadline)
            deadline = t;
    }
    return deadline;
}

} // namespace rtc::signal

#include "turn/tcp_connections.hpp"

#include <algorithm>

namespace rtc::turn {

namespace {
constexpr uint32_t kCounterMask = 0x00FFFFFF;
constexpr bool live(TcpConnectionState s) {
    return s != TcpConnectionState::TimedOut;
}
} // namespace

TcpConnection* TcpConnectionTable::add(TcpConnection connection) {
    // Bounded: at most 2^24 candidates, and a free one is found at once unless the shard is
    // nearly full.
    for (uint32_t tries = 0; tries <= kCounterMask; ++tries) {
        counter_ = (counter_ + 1) & kCounterMask;
        if (counter_ == 0)
            continue;
        ConnectionId id = (static_cast<uint32_t>(shard_) << 24) | counter_;
        if (by_id_.contains(id))
            continue;
        connection.id = id;
        note_deadline(connection.deadline);
        by_relay_[connection.relay].push_back(id);
        return &by_id_.emplace(id, connection).first->second;
    }
    return nullptr;
}

TcpConnection* TcpConnectionTable::find(ConnectionId id) {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : &it->second;
}

const TcpConnection* TcpConnectionTable::find_by_peer(RelayId relay,
                                                      const util::Endpoint& peer) const {
    auto r = by_relay_.find(relay);
    if (r == by_relay_.end())
        return nullptr;
    for (ConnectionId id : r->second) {
        auto it = by_id_.find(id);
        if (it != by_id_.end() && it->second.peer == peer && live(it->second.state))
            return &it->second;
    }
    return nullptr;
}

std::size_t TcpConnectionTable::count_for_relay(RelayId relay) const {
    auto r = by_relay_.find(relay);
    return r == by_relay_.end() ? 0 : r->second.size();
}

void TcpConnectionTable::erase(ConnectionId id) {
    auto it = by_id_.find(id);
    if (it == by_id_.end())
        return;
    if (auto r = by_relay_.find(it->second.relay); r != by_relay_.end()) {
        std::erase(r->second, id);
        if (r->second.empty())
            by_relay_.erase(r);
    }
    by_id_.erase(it);
}

void TcpConnectionTable::erase_relay(RelayId relay, std::vector<ConnectionId>& closed) {
    auto r = by_relay_.find(relay);
    if (r == by_relay_.end())
        return;
    for (ConnectionId id : r->second) {
        by_id_.erase(id);
        closed.push_back(id);
    }
    by_relay_.erase(r);
}

void TcpConnectionTable::note_deadline(Clock::time_point t) {
    if (t != Clock::time_point::max() && (!deadline_ || t < *deadline_))
        deadline_ = t;
}

void TcpConnectionTable::on_timer(Clock::time_point now, std::vector<ConnectionId>& timed_out,
                                  std::vector<ConnectionId>& closed) {
    if (!deadline_ || *deadline_ > now)
        return;
    std::optional<Clock::time_point> next;
    std::size_t first_closed = closed.size();
    for (auto& [id, c] : by_id_) {
        if (c.deadline > now) {
            if (c.deadline != Clock::time_point::max() && (!next || c.deadline < *next))
                next = c.deadline;
            continue;
        }
        if (c.state == TcpConnectionState::Connecting) {
            // RFC 6062 §5.2: the connect attempt failed by timeout -> 447.
            c.state = TcpConnectionState::TimedOut;
            c.deadline = Clock::time_point::max();
            timed_out.push_back(id);
        } else if (c.state == TcpConnectionState::Pending) {
            closed.push_back(id); // RFC 6062 §5.2/§5.3: no ConnectionBind within 30 s
        }
    }
    for (std::size_t i = first_closed; i < closed.size(); ++i)
        erase(closed[i]);
    deadline_ = next;
}

std::optional<Clock::time_point> TcpConnectionTable::next_deadline() const {
    return deadline_;
}

} // namespace rtc::turn

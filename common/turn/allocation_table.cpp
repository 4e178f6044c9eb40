#include "turn/allocation_table.hpp"

#include <algorithm>

namespace rtc::turn {

bool TokenBucket::take(std::size_t bytes, double rate, double burst, Clock::time_point now) {
    if (last == Clock::time_point{}) {
        tokens = burst;
    } else if (now > last) {
        tokens = std::min(burst, tokens + std::chrono::duration<double>(now - last).count() * rate);
    }
    last = std::max(last, now);
    if (tokens < static_cast<double>(bytes))
        return false;
    tokens -= static_cast<double>(bytes);
    return true;
}

const Relay* Allocation::relay_for(util::Family family) const {
    for (std::size_t i = 0; i < relay_count; ++i)
        if (relays[i].address.address.family() == family)
            return &relays[i];
    return nullptr;
}

bool Allocation::has_relay(RelayId id) const {
    for (std::size_t i = 0; i < relay_count; ++i)
        if (relays[i].id == id)
            return true;
    return false;
}

bool Allocation::permitted(const util::IpAddress& peer, Clock::time_point now) const {
    for (const auto& p : permissions)
        if (p.peer == peer)
            return p.expiry > now;
    return false;
}

const Channel* Allocation::channel_by_number(uint16_t number, Clock::time_point now) const {
    for (const auto& c : channels)
        if (c.number == number)
            return c.expiry > now ? &c : nullptr;
    return nullptr;
}

const Channel* Allocation::channel_by_peer(const util::Endpoint& peer,
                                           Clock::time_point now) const {
    for (const auto& c : channels)
        if (c.peer == peer && c.expiry > now)
            return &c;
    return nullptr;
}

Allocation* AllocationTable::find(const FiveTuple& tuple) {
    auto it = by_tuple_.find(tuple);
    return it == by_tuple_.end() ? nullptr : &it->second;
}

const Allocation* AllocationTable::find(const FiveTuple& tuple) const {
    auto it = by_tuple_.find(tuple);
    return it == by_tuple_.end() ? nullptr : &it->second;
}

Allocation* AllocationTable::find_by_relay(RelayId id) {
    auto it = by_relay_.find(id);
    return it == by_relay_.end() ? nullptr : it->second;
}

bool AllocationTable::user_full(const std::string& username) const {
    auto it = per_user_.find(username);
    return it != per_user_.end() && it->second >= limits_.max_allocations_per_user;
}

bool AllocationTable::try_reserve_user(const std::string& username) {
    if (quota_)
        return quota_->try_acquire(username, limits_.max_allocations_per_user);
    if (user_full(username))
        return false;
    ++per_user_[username];
    return true;
}

void AllocationTable::unreserve_user(const std::string& username) {
    if (quota_) {
        quota_->release(username);
        return;
    }
    if (auto u = per_user_.find(username); u != per_user_.end() && --u->second == 0)
        per_user_.erase(u);
}

void AllocationTable::uncount(const Allocation& a) {
    permissions_ -= a.permissions.size();
    for (const auto& c : a.channels)
        channels_ -= c.counted ? 1 : 0;
}

Allocation& AllocationTable::insert(Allocation allocation) {
    note_deadline(allocation.expiry);
    auto tuple = allocation.five_tuple;
    if (auto old = by_tuple_.find(tuple); old != by_tuple_.end())
        uncount(old->second);
    permissions_ += allocation.permissions.size();
    for (auto& c : allocation.channels)
        c.counted = true; // on_timer() uncounts any that have expired
    channels_ += allocation.channels.size();
    auto [it, inserted] = by_tuple_.insert_or_assign(tuple, std::move(allocation));
    (void)inserted;
    Allocation& a = it->second;
    for (std::size_t i = 0; i < a.relay_count; ++i)
        by_relay_[a.relays[i].id] = &a;
    return a;
}

void AllocationTable::erase(const FiveTuple& tuple, std::vector<RelayId>& released) {
    auto it = by_tuple_.find(tuple);
    if (it == by_tuple_.end())
        return;
    Allocation& a = it->second;
    for (std::size_t i = 0; i < a.relay_count; ++i) {
        by_relay_.erase(a.relays[i].id);
        released.push_back(a.relays[i].id);
    }
    unreserve_user(a.username);
    uncount(a);
    by_tuple_.erase(it);
}

InstallResult AllocationTable::permit(Allocation& a, const util::IpAddress& peer,
                                      Clock::time_point expiry) {
    note_deadline(expiry);
    for (auto& p : a.permissions) {
        if (p.peer == peer) {
            p.expiry = expiry;
            return InstallResult::Ok;
        }
    }
    if (a.permissions.size() >= limits_.max_permissions_per_allocation)
        return InstallResult::QuotaExceeded;
    a.permissions.push_back({peer, expiry});
    ++permissions_;
    return InstallResult::Ok;
}

InstallResult AllocationTable::can_bind(const Allocation& a, uint16_t number,
                                        const util::Endpoint& peer, Clock::time_point now) const {
    bool exists = false;
    for (const auto& c : a.channels) {
        bool live = c.reserved_until > now;
        if (c.number == number && c.peer == peer)
            exists = true; // refresh (or rebind the same pair after expiry)
        else if (live && (c.number == number || c.peer == peer))
            return InstallResult::Conflict; // RFC 8656 §12 rebinding rules
    }
    if (!exists && a.channels.size() >= limits_.max_channels_per_allocation)
        return InstallResult::QuotaExceeded;
    return InstallResult::Ok;
}

InstallResult AllocationTable::bind(Allocation& a, uint16_t number, const util::Endpoint& peer,
                                    Clock::time_point expiry, Clock::duration reservation) {
    for (auto& c : a.channels) {
        if (c.number == number && c.peer == peer) {
            c.expiry = expiry;
            c.reserved_until = expiry + reservation;
            if (!c.counted) { // bound again after it expired (RFC 8656 §12)
                c.counted = true;
                ++channels_;
            }
            note_deadline(expiry);
            return InstallResult::Ok;
        }
    }
    if (a.channels.size() >= limits_.max_channels_per_allocation)
        return InstallResult::QuotaExceeded;
    a.channels.push_back({number, true, peer, expiry, expiry + reservation});
    ++channels_;
    note_deadline(expiry);
    return InstallResult::Ok;
}

void AllocationTable::note_deadline(Clock::time_point t) {
    if (!deadline_ || t < *deadline_)
        deadline_ = t;
}

void AllocationTable::on_timer(Clock::time_point now, std::vector<RelayId>& released) {
    std::optional<Clock::time_point> next;
    auto consider = [&next](Clock::time_point t) {
        if (!next || t < *next)
            next = t;
    };
    for (auto it = by_tuple_.begin(); it != by_tuple_.end();) {
        Allocation& a = it->second;
        if (a.expiry <= now) {
            auto tuple = it->first;
            ++it;
            erase(tuple, released);
            continue;
        }
        consider(a.expiry);
        permissions_ -=
            std::erase_if(a.permissions, [now](const Permission& p) { return p.expiry <= now; });
        for (auto& c : a.channels) {
            if (c.counted && c.expiry <= now) { // expired: reserved, no longer bound
                c.counted = false;
                --channels_;
            }
        }
        std::erase_if(a.channels, [now](const Channel& c) { return c.reserved_until <= now; });
        for (const auto& c : a.channels)
            consider(c.expiry > now ? c.expiry : c.reserved_until);
        ++it;
    }
    deadline_ = next;
}

std::optional<Clock::time_point> AllocationTable::next_deadline() const {
    return deadline_;
}

} // namespace rtc::turn

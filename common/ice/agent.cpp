#include "ice/agent.hpp"

#include "crypto/random.hpp"
#include "stun/address_attributes.hpp"
#include "stun/builder.hpp"
#include "stun/ice_attributes.hpp"
#include "stun/rfc8489_attributes.hpp"

#include <algorithm>
#include <array>

namespace rtc::ice {

namespace {

constexpr std::size_t kBufferSize = 1500;
constexpr std::size_t kMaxPairs = 100;           // RFC 8445 §6.1.2.5: a limit on the checklist
constexpr std::size_t kMaxRemoteCandidates = 64; // description plus peer-reflexive ones
constexpr std::size_t kMaxEarlyChecks = 16;      // checks kept before the description

stun::TransactionId new_transaction_id() {
    stun::TransactionId id{};
    crypto::random_bytes(id);
    return id;
}

std::span<const uint8_t> as_bytes(const std::string& text) {
    return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

uint16_t local_preference_of(uint32_t priority) {
    return static_cast<uint16_t>((priority >> 8) & 0xFFFF);
}

} // namespace

std::string_view to_string(AgentState state) {
    switch (state) {
    case AgentState::Gathering:
        return "gathering";
    case AgentState::Gathered:
        return "gathered";
    case AgentState::Checking:
        return "checking";
    case AgentState::Connected:
        return "connected";
    case AgentState::Failed:
        return "failed";
    }
    return "failed";
}

Agent::Agent(AgentConfig config, std::vector<util::Endpoint> bases, TimePoint now)
    : config_(std::move(config)), bases_(std::move(bases)) {
    // RFC 8445 §5.1.1.1: one host candidate per base; local preference favours earlier bases.
    for (SocketId i = 0; i < bases_.size(); ++i)
        add_local(CandidateType::Host, bases_[i], i, false, std::nullopt, !config_.relay_only);
    start_gathering(now);
}

void Agent::add_local(CandidateType type, const util::Endpoint& address, SocketId socket,
                      bool relayed, std::optional<util::Endpoint> related, bool advertise) {
    Candidate c;
    // RFC 8445 §5.1.1.3: same type, base address and server share a foundation.
    c.foundation = std::to_string(locals_.size() + advertised_.size() + 1);
    c.component = 1;
    const auto local_preference = static_cast<uint16_t>(65535 - std::min<std::size_t>(socket, 100));
    c.priority = candidate_priority(type, local_preference);
    c.address = address;
    c.type = type;
    c.related = related;
    if (type == CandidateType::Host || type == CandidateType::Relayed)
        locals_.push_back({c, socket, relayed, advertise});
    if (advertise)
        advertised_.push_back(c);
}

void Agent::start_gathering(TimePoint now) {
    gather_deadline_ = now + config_.gather_timeout;
    // RFC 8445 §5.1.1.2: a Binding from each base to the STUN server.
    if (config_.stun_server && !config_.relay_only) {
        for (SocketId i = 0; i < bases_.size(); ++i) {
            if (bases_[i].address.family() != config_.stun_server->address.family())
                continue;
            Gather g;
            g.socket = i;
            g.id = new_transaction_id();
            std::array<uint8_t, kBufferSize> buffer{};
            stun::MessageBuilder b(buffer, stun::Method::Binding, stun::MessageClass::Request,
                                   g.id);
            b.add_fingerprint();
            g.request.assign(b.bytes().begin(), b.bytes().end());
            g.timer =
                probe::Retransmitter(probe::policy_for_timeout(config_.gather_timeout, false), now);
            g.timer.send_due(now);
            transmits_.push_back({i, *config_.stun_server, g.request});
            gathers_.push_back(std::move(g));
        }
        if (gathers_.empty())
            notes_.push_back("no local address of the STUN server's family");
    }
    // RFC 8445 §5.1.1.2: a relayed candidate from an Allocate (RFC 8656) on the first base of
    // the TURN server's family.
    if (config_.turn_server) {
        const auto& t = *config_.turn_server;
        if (t.tcp) { // the caller's stream to the server, whatever the local bases
            turn_.emplace(t.server, t.username, t.password, config_.gather_timeout, true);
            turn_socket_ = kTurnStreamSocket;
            turn_->start(now);
        }
        for (SocketId i = 0; i < bases_.size() && !turn_; ++i) {
            if (bases_[i].address.family() != t.server.address.family())
                continue;
            turn_.emplace(t.server, t.username, t.password, config_.gather_timeout);
            turn_socket_ = i;
            turn_->start(now);
        }
        if (!turn_)
            notes_.push_back("no local address of the TURN server's family");
    }
    flush_turn();
    maybe_gathered(now);
}

void Agent::release_turn() {
    if (!turn_)
        return;
    turn_->release();
    flush_turn();
}

void Agent::flush_turn() {
    if (!turn_)
        return;
    for (auto& bytes : turn_->take_outgoing())
        transmits_.push_back({turn_socket_, turn_->server(), std::move(bytes)});
}

void Agent::maybe_gathered(TimePoint now) {
    if (state_ != AgentState::Gathering)
        return;
    const bool stun_pending =
        std::any_of(gathers_.begin(), gathers_.end(), [](const Gather& g) { return !g.done; });
    const bool turn_pending = turn_ && turn_->state() == TurnState::Allocating;
    if ((stun_pending || turn_pending) && now < gather_deadline_)
        return;
    if (turn_ && turn_->state() == TurnState::Allocated && turn_->relayed()) {
        add_local(CandidateType::Relayed, *turn_->relayed(), turn_socket_, true, turn_->mapped(),
                  true);
    } else if (turn_) {
        notes_.push_back("TURN: " + (turn_->error().empty() ? std::string("no allocation in time")
                                                            : turn_->error()));
    }
    for (const auto& g : gathers_) // still waiting at the deadline; on_timer notes the others
        if (!g.done)
            notes_.push_back("STUN: no answer from " + config_.stun_server->to_string());
    state_ = AgentState::Gathered;
    if (advertised_.empty()) {
        state_ = AgentState::Failed;
        notes_.push_back("no candidates to offer");
        return;
    }
    if (remote_)
        set_remote(*remote_, now);
}

Description Agent::local_description() const {
    Description d;
    d.type = config_.controlling ? DescriptionType::Offer : DescriptionType::Answer;
    d.ufrag = config_.ufrag;
    d.pwd = config_.pwd;
    d.candidates = advertised_;
    return d;
}

void Agent::set_remote(const Description& remote, TimePoint now) {
    remote_ = remote;
    if (state_ != AgentState::Gathered)
        return; // applied once gathering ends
    remotes_.clear();
    next_check_ = now;
    for (const auto& c : remote.candidates)
        if (c.component == 1 && remotes_.size() < kMaxRemoteCandidates)
            remotes_.push_back(c);
    // RFC 8445 §6.1.2.2: pair every local base with every remote candidate of its family;
    // server-reflexive locals are replaced by their bases and so pruned (§6.1.2.4).
    for (std::size_t l = 0; l < locals_.size(); ++l)
        for (std::size_t r = 0; r < remotes_.size(); ++r)
            find_or_add_pair(l, r);
    state_ = AgentState::Checking;
    next_check_ = now;
    if (pairs_.empty()) {
        state_ = AgentState::Failed;
        notes_.push_back("no candidate pairs: the peer offered no candidate of a usable family");
        return;
    }
    for (const auto& e : early_checks_)
        learn_check(e.local, e.from, e.priority, e.use_candidate);
    early_checks_.clear();
}

std::size_t Agent::find_or_add_pair(std::size_t local, std::size_t remote) {
    for (std::size_t i = 0; i < pairs_.size(); ++i)
        if (pairs_[i].local == local && pairs_[i].remote == remote)
            return i;
    const auto& l = locals_[local];
    const auto& r = remotes_[remote];
    if (!l.pairable || pairs_.size() >= kMaxPairs ||
        l.candidate.address.address.family() != r.address.address.family())
        return pairs_.size();
    Pair p;
    p.local = local;
    p.remote = remote;
    pairs_.push_back(std::move(p));
    // RFC 8656 §9: the peer can reach a relayed candidate only through a permission.
    if (l.relayed && turn_)
        turn_->permit(r.address.address, next_check_);
    return pairs_.size() - 1;
}

std::optional<std::size_t> Agent::find_remote(const util::Endpoint& address) const {
    for (std::size_t i = 0; i < remotes_.size(); ++i)
        if (remotes_[i].address == address)
            return i;
    return std::nullopt;
}

uint64_t Agent::priority_of(const Pair& p) const {
    const auto local = locals_[p.local].candidate.priority;
    const auto remote = remotes_[p.remote].priority;
    return config_.controlling ? pair_priority(local, remote) : pair_priority(remote, local);
}

bool Agent::sendable(const Pair& p) const {
    const auto& l = locals_[p.local];
    if (!l.relayed)
        return true;
    return turn_ && turn_->state() == TurnState::Allocated &&
           turn_->permitted(remotes_[p.remote].address.address);
}

void Agent::on_datagram(SocketId socket, const util::Endpoint& from, std::span<const uint8_t> bytes,
                        TimePoint now) {
    auto message = stun::MessageView::parse(bytes);
    if (message && message->message_class() == stun::MessageClass::SuccessResponse &&
        message->method() == stun::Method::Binding) {
        // A server-reflexive candidate (RFC 8445 §5.1.1.2).
        const auto id = message->transaction_id();
        for (auto& g : gathers_) {
            if (g.done || g.id != id || g.socket != socket || !config_.stun_server ||
                from != *config_.stun_server)
                continue;
            g.done = true;
            auto mapped = message->get<stun::XorMappedAddress>();
            bool known = false;
            for (const auto& c : advertised_)
                known = known || (mapped && c.address == mapped->endpoint);
            // RFC 8445 §5.1.3: a server-reflexive candidate equal to a host one is redundant.
            if (mapped && !known)
                add_local(CandidateType::ServerReflexive, mapped->endpoint, socket, false,
                          bases_[socket], true);
            maybe_gathered(now);
            return;
        }
    }
    if (turn_ && socket == turn_socket_ && from == turn_->server()) {
        auto received = turn_->on_datagram(bytes, now);
        flush_turn();
        maybe_gathered(now);
        if (!received)
            return;
        for (std::size_t l = 0; l < locals_.size(); ++l)
            if (locals_[l].relayed)
                on_stun(l, received->peer, received->data, now);
        return;
    }
    if (message && socket < bases_.size())
        on_stun(socket, from, bytes, now); // host locals come first, one per socket
}

void Agent::on_stun(std::size_t local, const util::Endpoint& from, std::span<const uint8_t> bytes,
                    TimePoint now) {
    auto m = stun::MessageView::parse(bytes);
    if (!m || m->is_classic() || m->method() != stun::Method::Binding)
        return;
    if (m->is_request())
        on_request(local, from, *m, now);
    else if (m->message_class() != stun::MessageClass::Indication)
        on_response(from, local, *m, now);
}

void Agent::on_request(std::size_t local, const util::Endpoint& from, const stun::MessageView& m,
                       TimePoint) {
    // RFC 8445 §7.3 with RFC 8489 §9.1.3: USERNAME "LFRAG:RFRAG" and a MESSAGE-INTEGRITY made
    // with our password. Requests failing either are dropped.
    auto username = m.get<stun::Username>();
    if (!username || !username->value.starts_with(config_.ufrag + ":") ||
        !m.verify_message_integrity(as_bytes(config_.pwd)))
        return;
    // RFC 8445 §7.3.1.1: role conflicts, decided by the tie-breakers.
    if (config_.controlling) {
        if (auto theirs = m.get<stun::IceControlling>()) {
            if (config_.tie_breaker >= theirs->tie_breaker)
                return respond(local, from, m, stun::error_code::kRoleConflict);
            switch_role();
        }
    } else if (auto theirs = m.get<stun::IceControlled>()) {
        if (config_.tie_breaker >= theirs->tie_breaker)
            switch_role();
        else
            return respond(local, from, m, stun::error_code::kRoleConflict);
    }
    respond(local, from, m, std::nullopt);
    std::optional<uint32_t> priority;
    if (auto p = m.get<stun::Priority>())
        priority = p->value;
    const bool use_candidate = m.has(stun::UseCandidate::kType);
    if (state_ != AgentState::Checking && state_ != AgentState::Connected) {
        // Before the peer's description (it may come after the peer's checks): remember the
        // check, or a USE-CANDIDATE answered now would be lost.
        if (state_ != AgentState::Failed && priority && early_checks_.size() < kMaxEarlyChecks)
            early_checks_.push_back({local, from, *priority, use_candidate});
        return;
    }
    learn_check(local, from, priority, use_candidate);
}

void Agent::learn_check(std::size_t local, const util::Endpoint& from,
                        std::optional<uint32_t> priority, bool use_candidate) {
    // RFC 8445 §7.3.1.3: an unknown source is a peer-reflexive remote candidate.
    auto remote = find_remote(from);
    if (!remote) {
        if (!priority || remotes_.size() >= kMaxRemoteCandidates)
            return;
        Candidate c;
        c.foundation = "p" + std::to_string(remotes_.size());
        c.priority = *priority;
        c.address = from;
        c.type = CandidateType::PeerReflexive;
        remotes_.push_back(c);
        remote = remotes_.size() - 1;
    }
    const auto index = find_or_add_pair(local, *remote);
    if (index >= pairs_.size())
        return;
    auto& pair = pairs_[index];
    // RFC 8445 §7.3.1.4: a triggered check unless the pair already succeeded or is in flight.
    if ((pair.state == PairState::Waiting || pair.state == PairState::Failed) &&
        state_ == AgentState::Checking) {
        pair.state = PairState::Waiting;
        if (std::find(triggered_.begin(), triggered_.end(), index) == triggered_.end())
            triggered_.push_back(index);
    }
    // RFC 8445 §7.3.1.5: the controlled agent learns the nomination.
    if (!config_.controlling && use_candidate) {
        pair.nominated = true;
        if (pair.valid && !selected_)
            select(index);
    }
}

void Agent::respond(std::size_t local, const util::Endpoint& to, const stun::MessageView& request,
                    std::optional<uint16_t> error) {
    std::array<uint8_t, kBufferSize> buffer{};
    const auto cls =
        error ? stun::MessageClass::ErrorResponse : stun::MessageClass::SuccessResponse;
    stun::MessageBuilder b(buffer, stun::Method::Binding, cls, request.transaction_id());
    if (error)
        b.add(stun::ErrorCode{*error, stun::default_reason(*error)});
    else
        b.add(stun::XorMappedAddress{to}); // RFC 8445 §7.3.1.2
    b.add_message_integrity(as_bytes(config_.pwd));
    b.add_fingerprint();
    if (b.ok())
        send_from(local, to, b.bytes());
}

void Agent::on_response(const util::Endpoint& from, std::size_t local, const stun::MessageView& m,
                        TimePoint now) {
    const auto id = m.transaction_id();
    auto it = std::find_if(pairs_.begin(), pairs_.end(), [&](const Pair& p) {
        return p.state == PairState::InProgress && p.id == id;
    });
    if (it == pairs_.end() || !remote_)
        return;
    const auto index = static_cast<std::size_t>(it - pairs_.begin());
    auto& pair = *it;
    // RFC 8489 §9.1.4: MESSAGE-INTEGRITY made with the peer's password.
    if (!m.verify_message_integrity(as_bytes(remote_->pwd)))
        return;
    // RFC 8445 §7.2.5.2.1: the response must come from where the request went, to our base.
    if (from != remotes_[pair.remote].address || local != pair.local) {
        pair.state = PairState::Failed;
        update_failed();
        return;
    }
    if (m.message_class() == stun::MessageClass::ErrorResponse) {
        auto error = m.get<stun::ErrorCode>();
        // RFC 8445 §7.2.5.1: 487 switches the role and retries the check.
        // The new role is the opposite of the one the request claimed, so a 487 for a request
        // sent before an earlier switch changes nothing.
        if (error && error->code == stun::error_code::kRoleConflict) {
            if (pair.sent_controlling == config_.controlling)
                switch_role();
            pair.state = PairState::Waiting;
            if (std::find(triggered_.begin(), triggered_.end(), index) == triggered_.end())
                triggered_.push_back(index);
            return;
        }
        pair.state = PairState::Failed;
        update_failed();
        return;
    }
    // RFC 8445 §7.2.5.3: the pair succeeded and is valid.
    pair.state = PairState::Succeeded;
    pair.valid = true;
    pair.rtt = std::chrono::duration_cast<std::chrono::microseconds>(now - pair.sent_at);
    if (!first_valid_)
        first_valid_ = now;
    if (state_ != AgentState::Checking)
        return;
    if (config_.controlling && pair.use_candidate) {
        pair.nominated = true; // RFC 8445 §8.1.1: nominated once the USE-CANDIDATE check succeeds
        select(index);
    } else if (!config_.controlling && pair.nominated) {
        select(index);
    }
    try_nominate(now);
}

void Agent::send_check(std::size_t index, TimePoint now, bool use_candidate) {
    auto& pair = pairs_[index];
    const auto& local = locals_[pair.local];
    std::array<uint8_t, kBufferSize> buffer{};
    pair.id = new_transaction_id();
    stun::MessageBuilder b(buffer, stun::Method::Binding, stun::MessageClass::Request, pair.id);
    // RFC 8445 §7.2.2: USERNAME "RFRAG:LFRAG", PRIORITY as a peer-reflexive candidate, the role
    // with the tie-breaker, USE-CANDIDATE when nominating; short-term credentials of the peer.
    const std::string username = remote_->ufrag + ":" + config_.ufrag;
    b.add(stun::Username{username});
    b.add(stun::Priority{candidate_priority(CandidateType::PeerReflexive,
                                            local_preference_of(local.candidate.priority))});
    pair.sent_controlling = config_.controlling;
    if (config_.controlling)
        b.add(stun::IceControlling{config_.tie_breaker});
    else
        b.add(stun::IceControlled{config_.tie_breaker});
    pair.use_candidate = use_candidate && config_.controlling;
    if (pair.use_candidate)
        b.add(stun::UseCandidate{});
    b.add_message_integrity(as_bytes(remote_->pwd));
    b.add_fingerprint();
    if (!b.ok()) {
        pair.state = PairState::Failed;
        return;
    }
    pair.request.assign(b.bytes().begin(), b.bytes().end());
    pair.state = PairState::InProgress;
    pair.sent = 1;
    pair.sent_at = now;
    pair.rto = config_.check_rto;
    pair.next_send = now + pair.rto;
    send_from(pair.local, remotes_[pair.remote].address, pair.request);
}

void Agent::send_from(std::size_t local, const util::Endpoint& to, std::span<const uint8_t> bytes) {
    const auto& l = locals_[local];
    if (!l.relayed) {
        transmits_.push_back({l.socket, to, {bytes.begin(), bytes.end()}});
        return;
    }
    // RFC 8656 §11.1: through the relay in a Send indication.
    if (!turn_)
        return;
    auto wrapped = turn_->send_indication(to, bytes);
    if (!wrapped.empty())
        transmits_.push_back({turn_socket_, turn_->server(), std::move(wrapped)});
}

void Agent::switch_role() {
    config_.controlling = !config_.controlling;
    ++role_switches_;
}

void Agent::select(std::size_t index) {
    selected_ = index;
    state_ = AgentState::Connected;
    triggered_.clear();
}

void Agent::try_nominate(TimePoint now) {
    if (!config_.controlling || state_ != AgentState::Checking || nominating_ || !first_valid_)
        return;
    std::optional<std::size_t> best;
    for (std::size_t i = 0; i < pairs_.size(); ++i)
        if (pairs_[i].valid && (!best || priority_of(pairs_[i]) > priority_of(pairs_[*best])))
            best = i;
    if (!best)
        return;
    // RFC 8445 §8.1.1: nominate once no better pair can still succeed, or after a short wait.
    const auto best_priority = priority_of(pairs_[*best]);
    const bool better_pending = std::any_of(pairs_.begin(), pairs_.end(), [&](const Pair& p) {
        return (p.state == PairState::Waiting || p.state == PairState::InProgress) &&
               priority_of(p) > best_priority;
    });
    if (better_pending && now < *first_valid_ + config_.nomination_wait)
        return;
    nominating_ = best;
    send_check(*best, now, true);
}

void Agent::update_failed() {
    if (state_ != AgentState::Checking || !triggered_.empty())
        return;
    for (const auto& p : pairs_)
        if (p.state == PairState::Waiting || p.state == PairState::InProgress || p.valid)
            return;
    state_ = AgentState::Failed;
    notes_.push_back("every connectivity check failed");
}

void Agent::on_timer(TimePoint now) {
    for (auto& g : gathers_) {
        if (g.done)
            continue;
        if (g.timer.expired(now)) {
            // Retransmissions exhausted before the gathering deadline (RFC 8489 §6.2.1).
            g.done = true;
            notes_.push_back("STUN: no answer from " + config_.stun_server->to_string());
        } else if (g.timer.send_due(now))
            transmits_.push_back({g.socket, *config_.stun_server, g.request});
    }
    if (turn_) {
        turn_->on_timer(now);
        flush_turn();
    }
    maybe_gathered(now);
    if (state_ != AgentState::Checking)
        return;

    // RFC 8489 §6.2.1 retransmissions of checks in flight.
    for (std::size_t i = 0; i < pairs_.size(); ++i) {
        auto& p = pairs_[i];
        if (p.state != PairState::InProgress || now < p.next_send)
            continue;
        if (p.sent >= config_.check_max_requests) {
            p.state = PairState::Failed;
            p.valid = false;
            if (nominating_ == i)
                nominating_.reset();
            continue;
        }
        ++p.sent;
        p.sent_at = now;
        p.rto *= 2;
        p.next_send = now + p.rto;
        send_from(p.local, remotes_[p.remote].address, p.request);
    }
    // RFC 8445 §6.1.4.2: one check per Ta, triggered ones first, then the best waiting pair.
    if (now >= next_check_) {
        std::optional<std::size_t> next;
        for (auto it = triggered_.begin(); it != triggered_.end(); ++it) {
            if (sendable(pairs_[*it])) {
                next = *it;
                triggered_.erase(it);
                break;
            }
        }
        if (!next) {
            for (std::size_t i = 0; i < pairs_.size(); ++i) {
                const auto& p = pairs_[i];
                if (p.state == PairState::Waiting && sendable(p) &&
                    (!next || priority_of(p) > priority_of(pairs_[*next])))
                    next = i;
            }
        }
        if (next)
            send_check(*next, now, false);
        next_check_ = now + config_.ta;
    }
    try_nominate(now);
    update_failed();
}

std::optional<TimePoint> Agent::next_deadline() const {
    std::optional<TimePoint> next;
    auto consider = [&](TimePoint t) {
        if (!next || t < *next)
            next = t;
    };
    for (const auto& g : gathers_)
        if (!g.done)
            consider(g.timer.next_deadline());
    if (turn_)
        if (auto t = turn_->next_deadline())
            consider(*t);
    if (state_ == AgentState::Gathering)
        consider(gather_deadline_);
    if (state_ != AgentState::Checking)
        return next;
    bool waiting = !triggered_.empty();
    for (const auto& p : pairs_) {
        if (p.state == PairState::InProgress)
            consider(p.next_send);
        waiting = waiting || p.state == PairState::Waiting;
    }
    if (waiting)
        consider(next_check_);
    if (config_.controlling && first_valid_ && !nominating_)
        consider(*first_valid_ + config_.nomination_wait);
    return next;
}

std::vector<Transmit> Agent::take_transmits() {
    flush_turn(); // permissions asked for while pairing
    std::vector<Transmit> out;
    out.swap(transmits_);
    return out;
}

std::optional<SelectedPair> Agent::selected() const {
    if (!selected_)
        return std::nullopt;
    const auto& p = pairs_[*selected_];
    return SelectedPair{locals_[p.local].candidate, remotes_[p.remote], p.rtt};
}

} // namespace rtc::ice

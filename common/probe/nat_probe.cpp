#include "probe/nat_probe.hpp"

#include "crypto/random.hpp"

#include <algorithm>

namespace rtc::probe {

namespace {

constexpr std::size_t kChangeBoth = 0; // FilterChange index: RFC 5780 §4.4 test II
constexpr std::size_t kChangePort = 1; // test III
// MapVerify index of the CHANGE-REQUEST answered to another binding's port (RESPONSE-PORT); a
// server may not know RESPONSE-PORT, so its error answer says nothing against CHANGE-REQUEST.
constexpr std::size_t kVerifyViaResponsePort = 2;

} // namespace

NatProbe::NatProbe(NatProbeConfig config, TimePoint now) : config_(std::move(config)) {
    if (!config_.random)
        config_.random = [](std::span<uint8_t> out) { crypto::random_bytes(out); };
    report_.server = config_.server;
    probes_.reserve(32);
    // The first requests wait for the first on_timer(), after the shell has opened the sockets,
    // so that opening them does not count in the round-trip time the RTO is derived from.
    open(kMappingSocket);
    open(kFilteringSocket);
    add_probe(Role::MapPrimary, kMappingSocket, config_.server, spec(), now, false);
    for (const auto& alt : config_.alt_servers)
        add_probe(Role::MapAltServer, kMappingSocket, alt, spec(), now, false);
    add_probe(Role::FilterPrimary, kFilteringSocket, config_.server, spec(), now, false);
    if (config_.hairpin) {
        open(kHairpinSocketA);
        open(kHairpinSocketB);
        add_probe(Role::HairpinBind, kHairpinSocketA, config_.server, spec(), now, false);
        add_probe(Role::HairpinBind, kHairpinSocketB, config_.server, spec(), now, false);
    }
}

BindingRequestSpec NatProbe::spec(bool change_ip, bool change_port) const {
    BindingRequestSpec s;
    s.software = config_.software;
    s.change_ip = change_ip;
    s.change_port = change_port;
    return s;
}

namespace {
constexpr std::chrono::milliseconds kMinMeasuredRto{50};
} // namespace

RetransmitPolicy NatProbe::policy() const {
    RetransmitPolicy p = policy_for_timeout(config_.timeout, false);
    // Once the server has answered, the RTO follows the measured round trip (RFC 8489
    // §6.2.1), and a test whose answer may rightly never come (a filtering test) gets four
    // requests and a last wait of four RTOs, 11 RTOs in all instead of 79, so it ends in well
    // under a second on a LAN. The RTO keeps a floor of 50 ms: a late answer on a busy host
    // must not turn into a wrong verdict.
    if (rtt_) {
        p.rto = std::max(rto_from_rtt(*rtt_, p.rto), std::min(kMinMeasuredRto, p.rto));
        p.max_requests = std::min(p.max_requests, 4u);
        p.last_wait_factor = std::min(p.last_wait_factor, 4u);
    }
    return p;
}

std::size_t NatProbe::add_probe(Role role, SocketId socket, const util::Endpoint& to,
                                BindingRequestSpec request, TimePoint start, bool active) {
    Probe p;
    p.role = role;
    p.socket = socket;
    p.answer_socket = socket;
    p.to = to;
    p.start = start;
    config_.random(p.id);
    request.id = p.id;
    p.size = build_binding_request(p.request, request).size();
    probes_.push_back(std::move(p));
    const std::size_t index = probes_.size() - 1;
    if (active)
        start_probe(index, start);
    return index;
}

void NatProbe::open(SocketId socket) {
    if (locals_.size() <= socket)
        locals_.resize(socket + 1);
    pending_.push_back({CommandKind::Open, socket, 0});
}

void NatProbe::close(SocketId socket) {
    pending_.push_back({CommandKind::Close, socket, 0});
}

void NatProbe::on_opened(SocketId socket, const util::Endpoint& local) {
    if (socket < locals_.size())
        locals_[socket] = local;
}

std::optional<util::Endpoint> NatProbe::local(SocketId socket) const {
    return socket < locals_.size() ? locals_[socket] : std::nullopt;
}

std::optional<NatCommand> NatProbe::next_command() {
    if (pending_.empty())
        return std::nullopt;
    const Pending p = pending_.front();
    pending_.pop_front();
    NatCommand c;
    c.kind = p.kind;
    c.socket = p.socket;
    if (p.kind == CommandKind::Send) {
        const Probe& probe = probes_[p.probe];
        c.to = probe.to;
        c.bytes = std::span<const uint8_t>(probe.request.data(), probe.size);
    }
    return c;
}

void NatProbe::cancel(std::size_t index) {
    auto& p = probes_[index];
    if (p.state == State::Scheduled || p.state == State::Active)
        p.state = State::Cancelled;
}

void NatProbe::start_probe(std::size_t index, TimePoint now) {
    auto& p = probes_[index];
    p.state = State::Active;
    p.policy = policy();
    p.timer = Retransmitter(p.policy, now);
    poll_probe(index, now);
}

void NatProbe::poll_probe(std::size_t index, TimePoint now) {
    auto& p = probes_[index];
    if (p.size > 0 && p.timer.send_due(now))
        pending_.push_back({CommandKind::Send, p.socket, index});
}

std::optional<TimePoint> NatProbe::next_deadline() const {
    std::optional<TimePoint> next;
    for (const auto& p : probes_) {
        std::optional<TimePoint> t;
        if (p.state == State::Scheduled)
            t = p.start;
        else if (p.state == State::Active)
            t = p.timer.next_deadline();
        if (t && (!next || *t < *next))
            next = t;
    }
    return next;
}

void NatProbe::on_timer(TimePoint now) {
    for (std::size_t i = 0; i < probes_.size(); ++i) {
        if (probes_[i].state == State::Scheduled && probes_[i].start <= now) {
            start_probe(i, now);
        } else if (probes_[i].state == State::Active) {
            if (probes_[i].timer.expired(now)) {
                probes_[i].state = State::TimedOut;
                timed_out(i);
            } else {
                poll_probe(i, now);
            }
        }
    }
    advance(now);
}

void NatProbe::on_datagram(SocketId socket, const util::Endpoint& from,
                           std::span<const uint8_t> bytes, TimePoint now) {
    auto m = stun::MessageView::parse(bytes);
    if (!m || concluded_)
        return;
    const auto id = m->transaction_id();
    auto it =
        std::find_if(probes_.begin(), probes_.end(), [&](const Probe& p) { return p.id == id; });
    if (it == probes_.end() || it->state != State::Active || it->answer_socket != socket)
        return;
    const auto index = static_cast<std::size_t>(it - probes_.begin());
    if (it->role == Role::HairpinCross) {
        // RFC 5780 §4.5: our own request arrived through the NAT's public address.
        if (!m->is_request())
            return;
    } else {
        auto answer = read_binding_answer(*m);
        if (!answer)
            return;
        it->answer = std::move(answer);
    }
    it->from = from;
    it->answered_at = now;
    it->state = State::Answered;
    answered(index, now);
    advance(now);
}

void NatProbe::answered(std::size_t index, TimePoint now) {
    const Probe& p = probes_[index];
    switch (p.role) {
    case Role::MapPrimary:
        on_map_primary(index, now);
        break;
    case Role::MapAlternate:
        on_map_alternate(index, now);
        break;
    case Role::MapVerify:
    case Role::FilterChange:
        on_change_answer(index);
        break;
    case Role::FilterPrimary:
        on_filter_primary(index, now);
        break;
    case Role::HairpinBind:
        on_hairpin_bind(now);
        break;
    case Role::HairpinCross:
        report_.hairpin = true;
        for (std::size_t i = 0; i < probes_.size(); ++i)
            if (probes_[i].role == Role::HairpinCross)
                cancel(i);
        break;
    case Role::LifetimeBind:
        if (!p.answer->success) {
            stop_lifetime("the server answered a Binding of the lifetime test with an error");
        } else if (lifetime_ && p.index < lifetime_->waits().size()) {
            // Stay silent on the probe socket; after the wait, ask the server to answer to
            // its mapped port from the helper socket (RFC 5780 §4.6, §7.5 RESPONSE-PORT).
            auto s = spec();
            s.response_port = p.answer->mapped->port;
            const auto wait = lifetime_->waits()[p.index];
            const auto probe_socket = p.socket;
            const auto wait_index = p.index;
            auto check = add_probe(Role::LifetimeCheck, kLifetimeHelper, config_.server, s,
                                   now + wait, false);
            probes_[check].answer_socket = probe_socket;
            probes_[check].index = wait_index;
        }
        break;
    case Role::LifetimeCheck:
        if (lifetime_)
            lifetime_->record(p.index, true);
        close(p.answer_socket);
        break;
    case Role::MapAltServer:
        break;
    }
}

void NatProbe::timed_out(std::size_t index) {
    const Probe& p = probes_[index];
    switch (p.role) {
    case Role::HairpinBind:
        report_.hairpin_note = "the hairpin test's Bindings got no answer";
        for (std::size_t i = 0; i < probes_.size(); ++i)
            if (probes_[i].role == Role::HairpinBind)
                cancel(i);
        break;
    case Role::HairpinCross: {
        bool all_failed = true;
        for (const auto& q : probes_)
            if (q.role == Role::HairpinCross && q.state != State::TimedOut)
                all_failed = false;
        if (all_failed)
            report_.hairpin = false;
        break;
    }
    case Role::MapAlternate:
        // Sent straight to it, so its answer passes any NAT: an alternate address that stays
        // silent is not the server's.
        not_capable("OTHER-ADDRESS " + p.to.to_string() + " did not answer");
        break;
    case Role::LifetimeBind:
        stop_lifetime("a Binding of the lifetime test got no answer");
        break;
    case Role::LifetimeCheck:
        if (lifetime_)
            lifetime_->record(p.index, false);
        close(p.answer_socket);
        break;
    default:
        break;
    }
}

void NatProbe::note_rtt(Clock::duration rtt) {
    if (!rtt_ || rtt < *rtt_)
        rtt_ = rtt;
}

bool NatProbe::other_valid(const std::optional<util::Endpoint>& other) const {
    // RFC 5780 §4.2: the alternate address must differ from the primary in IP and in port.
    const auto& primary = config_.server;
    return other && other->address.family() == primary.address.family() &&
           other->address != primary.address && other->port != primary.port && other->port != 0 &&
           !other->address.is_unspecified();
}

void NatProbe::on_map_primary(std::size_t index, TimePoint now) {
    const Probe& p = probes_[index];
    if (!p.answer->success)
        return;
    note_rtt(now - p.timer.last_sent());
    const BindingAnswer a = *p.answer;
    report_.local = local(kMappingSocket);
    report_.mapped = a.mapped;
    report_.other_address = a.other_address;
    report_.response_origin = a.response_origin;
    report_.software = a.software;

    const auto& primary = config_.server;
    if (const auto& o = a.other_address;
        o && o->address.family() == primary.address.family() && *o != primary) {
        // RFC 5780 §4.3 tests II and III: A2:P1 and A2:P2 (A1:P2 when OTHER-ADDRESS only
        // differs in port, which still shows whether the port matters).
        if (o->address != primary.address)
            add_probe(Role::MapAlternate, kMappingSocket, {o->address, primary.port}, spec(), now,
                      true);
        add_probe(Role::MapAlternate, kMappingSocket, *o, spec(), now, true);
    }
    if (other_valid(a.other_address)) {
        const auto o = *a.other_address;
        // Answers from A2:P2, which this socket has just sent to (test III above).
        auto c1 = add_probe(Role::MapVerify, kMappingSocket, primary, spec(true, true), now, true);
        probes_[c1].expect_from = o;
        auto c2 = add_probe(Role::MapVerify, kMappingSocket, {o.address, primary.port},
                            spec(false, true), now, true);
        probes_[c2].expect_from = o;
    }
    if (config_.lifetime) {
        if (report_.local && a.mapped == report_.local)
            report_.lifetime_note = "no NAT: there is no binding to time";
        else
            start_lifetime(now);
    }
}

void NatProbe::on_filter_primary(std::size_t index, TimePoint now) {
    const Probe& p = probes_[index];
    if (!p.answer->success)
        return;
    note_rtt(now - p.timer.last_sent());
    const auto other = p.answer->other_address;
    if (!report_.other_address)
        report_.other_address = other;
    if (!other_valid(other))
        return;
    // RFC 5780 §4.4 tests II and III, sent together: a NAT that lets the first in lets the
    // second in too, so running them side by side changes nothing but the time taken.
    auto both = add_probe(Role::FilterChange, kFilteringSocket, config_.server, spec(true, true),
                          now, true);
    probes_[both].expect_from = *other;
    probes_[both].index = kChangeBoth;
    auto port = add_probe(Role::FilterChange, kFilteringSocket, config_.server, spec(false, true),
                          now, true);
    probes_[port].expect_from = {config_.server.address, other->port};
    probes_[port].index = kChangePort;
}

void NatProbe::on_change_answer(std::size_t index) {
    const Probe& p = probes_[index];
    if (!p.answer->success && p.role == Role::MapVerify && p.index == kVerifyViaResponsePort)
        return;
    if (!p.answer->success) {
        std::string why =
            "the server answered CHANGE-REQUEST with error " + std::to_string(p.answer->error_code);
        if (!p.answer->error_reason.empty())
            why += " (" + p.answer->error_reason + ")";
        not_capable(why);
    } else if (p.from != p.expect_from) {
        not_capable("a CHANGE-REQUEST was answered from " + p.from.to_string() + ", not from " +
                    p.expect_from.to_string() + " (the server ignores CHANGE-REQUEST)");
    } else {
        change_verified_ = true;
    }
}

void NatProbe::on_map_alternate(std::size_t index, TimePoint now) {
    const Probe& p = probes_[index];
    if (p.from != p.to) {
        not_capable("the alternate address " + p.to.to_string() + " answered from " +
                    p.from.to_string());
        return;
    }
    const auto& primary = probes_.front(); // MapPrimary
    if (!p.answer->success || p.to != report_.other_address || !other_valid(p.to) ||
        primary.state != State::Answered || !primary.answer->success ||
        primary.answer->mapped->address != p.answer->mapped->address)
        return;
    // The binding this socket has toward A2:P2 lets an answer from A2:P2 in behind any NAT, so
    // ask A1:P1 to answer from A2:P2 (CHANGE-REQUEST) to that binding's port (RESPONSE-PORT,
    // RFC 5780 §7.5): this confirms CHANGE-REQUEST support even where mapping and filtering
    // both depend on address and port.
    auto s = spec(true, true);
    s.response_port = p.answer->mapped->port;
    const auto expect = p.to;
    auto c3 = add_probe(Role::MapVerify, kMappingSocket, config_.server, s, now, true);
    probes_[c3].expect_from = expect;
    probes_[c3].index = kVerifyViaResponsePort;
}

void NatProbe::not_capable(const std::string& why) {
    if (not_capable_.empty())
        not_capable_ = why;
}

void NatProbe::on_hairpin_bind(TimePoint now) {
    std::array<std::size_t, 2> binds{};
    std::size_t n = 0;
    for (std::size_t i = 0; i < probes_.size(); ++i) {
        if (probes_[i].role == Role::HairpinCross)
            return; // already under way
        if (probes_[i].role == Role::HairpinBind && n < binds.size())
            binds[n++] = i;
    }
    if (n != 2)
        return;
    for (auto i : binds)
        if (probes_[i].state != State::Answered)
            return;
    const auto& a = probes_[binds[0]];
    const auto& b = probes_[binds[1]];
    if (!a.answer->success || !b.answer->success) {
        report_.hairpin_note = "the server answered the hairpin test's Bindings with an error";
        return;
    }
    if (a.answer->mapped == local(a.socket)) {
        report_.hairpin_note = "no NAT: nothing to hairpin";
        return;
    }
    // Both directions: each socket's packet to the other also opens its own filter for the
    // other's address, so an address-dependent filter does not hide the hairpin.
    const auto to_b = *b.answer->mapped;
    const auto to_a = *a.answer->mapped;
    const auto socket_a = a.socket;
    const auto socket_b = b.socket;
    auto x = add_probe(Role::HairpinCross, socket_a, to_b, spec(), now, true);
    probes_[x].answer_socket = socket_b;
    auto y = add_probe(Role::HairpinCross, socket_b, to_a, spec(), now, true);
    probes_[y].answer_socket = socket_a;
}

void NatProbe::start_lifetime(TimePoint now) {
    lifetime_.emplace(config_.lifetime_max);
    open(kLifetimeHelper);
    start_lifetime_round(now);
}

void NatProbe::start_lifetime_round(TimePoint now) {
    for (std::size_t i = 0; i < lifetime_->waits().size(); ++i) {
        const SocketId socket = next_socket_++;
        open(socket);
        auto bind = add_probe(Role::LifetimeBind, socket, config_.server, spec(), now, true);
        probes_[bind].index = i;
    }
}

void NatProbe::stop_lifetime(const std::string& note) {
    if (!lifetime_)
        return;
    for (std::size_t i = 0; i < probes_.size(); ++i) {
        auto& p = probes_[i];
        const bool lifetime_probe = p.role == Role::LifetimeBind || p.role == Role::LifetimeCheck;
        if (lifetime_probe && (p.state == State::Active || p.state == State::Scheduled)) {
            cancel(i);
            close(p.answer_socket);
        }
    }
    close(kLifetimeHelper);
    report_.lifetime_note = note;
    lifetime_.reset();
}

void NatProbe::advance_lifetime(TimePoint now) {
    if (!lifetime_)
        return;
    // A wait longer than one already seen dead need not be waited for.
    for (std::size_t i = 0; i < probes_.size(); ++i) {
        auto& p = probes_[i];
        const bool lifetime_probe = p.role == Role::LifetimeBind || p.role == Role::LifetimeCheck;
        const bool pending = p.state == State::Active || p.state == State::Scheduled;
        if (lifetime_probe && pending && !lifetime_->needed(p.index)) {
            cancel(i);
            close(p.answer_socket);
        }
    }
    if (!lifetime_->round_settled())
        return;
    lifetime_->next_round();
    if (!lifetime_->finished()) {
        start_lifetime_round(now);
        return;
    }
    if (lifetime_->control_failed()) {
        report_.lifetime_note = "a fresh binding already failed the check: the server may not "
                                "support RESPONSE-PORT (RFC 5780 §7.5)";
    } else {
        report_.binding_lifetime = lifetime_->lifetime();
        report_.binding_lifetime_capped = lifetime_->capped();
    }
    close(kLifetimeHelper);
    lifetime_.reset();
}

void NatProbe::advance(TimePoint now) {
    for (std::size_t i = 0; i < probes_.size(); ++i) {
        const auto& p = probes_[i];
        // One verified CHANGE-REQUEST answer is enough; endpoint-independent filtering makes
        // the "change port" test moot.
        if (p.role == Role::MapVerify && change_verified_)
            cancel(i);
        if (p.role == Role::FilterChange && p.index == kChangeBoth && p.state == State::Answered &&
            p.answer->success && p.from == p.expect_from) {
            for (std::size_t j = 0; j < probes_.size(); ++j)
                if (probes_[j].role == Role::FilterChange && probes_[j].index == kChangePort)
                    cancel(j);
        }
    }
    advance_lifetime(now);
    if (concluded_)
        return;
    for (const auto& p : probes_)
        if (p.state == State::Active || p.state == State::Scheduled)
            return;
    conclude();
}

bool NatProbe::done() const {
    return concluded_ && pending_.empty();
}

void NatProbe::conclude() {
    concluded_ = true;
    NatReport& r = report_;
    const Probe* filter_both = nullptr;
    const Probe* filter_port = nullptr;
    const Probe* filter_primary = nullptr;
    bool any_answer = false;
    for (const auto& p : probes_) {
        const bool ok = p.state == State::Answered;
        any_answer = any_answer || (ok && p.role != Role::HairpinCross);
        if (!ok || p.role == Role::HairpinCross || !p.answer->success)
            continue;
        // The mapping depends on where the request went, whichever address answered.
        const bool mapping_test = p.role == Role::MapPrimary || p.role == Role::MapAlternate ||
                                  p.role == Role::MapAltServer;
        if (mapping_test)
            r.observations.push_back({p.to, *p.answer->mapped});
    }
    for (const auto& p : probes_) {
        if (p.role == Role::FilterPrimary)
            filter_primary = &p;
        if (p.role == Role::FilterChange)
            (p.index == kChangeBoth ? filter_both : filter_port) = &p;
    }
    r.udp_blocked = !any_answer;
    if (rtt_)
        r.rtt = std::chrono::duration_cast<std::chrono::microseconds>(*rtt_);
    if (!r.local)
        r.local = local(kMappingSocket);
    if (r.local) {
        const auto v = infer_mapping(r.observations, *r.local);
        r.mapping = v.behaviour;
        r.mapping_varies = v.varies;
    }

    // The server's RFC 5780 capability (RFC 5780 §4.2, §7.2).
    std::optional<util::Endpoint> other;
    if (filter_primary && filter_primary->state == State::Answered &&
        filter_primary->answer->success)
        other = filter_primary->answer->other_address;
    else
        other = r.other_address;
    if (r.udp_blocked)
        r.capability_note = "no answer from the server";
    else if (!not_capable_.empty())
        r.capability_note = not_capable_;
    else if (!other)
        r.capability_note = "no OTHER-ADDRESS: the server has one address, RFC 5780 needs two";
    else if (!other_valid(other))
        r.capability_note = "OTHER-ADDRESS " + other->to_string() +
                            " does not differ from the primary in both address and port";
    else if (!change_verified_)
        r.capability_note = "no CHANGE-REQUEST answer came back: the server may ignore them, or "
                            "this NAT drops every answer from a changed address";
    r.server_capable = r.capability_note.empty();

    // RFC 5780 §4.4: which CHANGE-REQUEST answers got through the filtering socket's NAT.
    auto passed = [](const Probe* p) {
        return p && p->state == State::Answered && p->answer->success && p->from == p->expect_from;
    };
    auto failed = [](const Probe* p) { return p && p->state == State::TimedOut; };
    if (r.server_capable) {
        if (passed(filter_both))
            r.filtering = Behaviour::EndpointIndependent;
        else if (failed(filter_both) && passed(filter_port))
            r.filtering = Behaviour::AddressDependent;
        else if (failed(filter_both) && failed(filter_port))
            r.filtering = Behaviour::AddressAndPortDependent;
    }

    if (config_.hairpin && !r.hairpin && r.hairpin_note.empty())
        r.hairpin_note = r.udp_blocked ? "no answer from the server" : "not tested";
    if (config_.lifetime && !r.binding_lifetime && r.lifetime_note.empty())
        r.lifetime_note = "no answer from the server";
}

} // namespace rtc::probe

#pragma once
// A full ICE agent (RFC 8445) for one component over UDP, sans-I/O. The caller owns one UDP
// socket per host address (a "base"), feeds it datagrams and the time, and sends what the agent
// queues. The agent gathers host, server-reflexive (a Binding to a STUN server) and relayed
// (a TURN allocation) candidates, then, given the peer's description, forms pairs, runs
// connectivity checks paced by Ta, answers the peer's checks (with triggered checks and the
// 487 role-conflict rule), nominates (controlling agent, regular nomination) and reports the
// selected pair.
//
//   Agent agent(config, {base_endpoint}, now);
//   loop: for (auto& t : agent.take_transmits()) send(t.socket, t.to, t.bytes);
//         wait until agent.next_deadline() or a datagram: agent.on_datagram(socket, from, ...)
//         or agent.on_timer(now)
//   once agent.state() == Gathered: give agent.local_description() to the peer,
//   agent.set_remote(peer_description, now); run until Connected or Failed.
//
// TURN may run over TCP to the server (TurnServerConfig::tcp, kTurnStreamSocket).
// Not implemented: ICE-TCP, consent freshness (RFC 7675), ICE restarts, multiple components,
// local peer-reflexive candidates (a check whose mapped address is new validates its own pair).
#include "ice/candidate.hpp"
#include "ice/turn_client.hpp"
#include "probe/transaction.hpp"
#include "stun/message.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace rtc::ice {

using SocketId = std::size_t;
// The caller's TCP connection to the TURN server (TurnServerConfig::tcp): transmits with this
// socket go on that stream (framed by the caller, see stream_framer.hpp), and each message read
// from it is given to on_datagram() with this socket and the server as `from`.
inline constexpr SocketId kTurnStreamSocket = static_cast<SocketId>(-1);

struct TurnServerConfig {
    util::Endpoint server;
    std::string username;
    std::string password;
    bool tcp = false; // RFC 8656 §3.1: TURN over TCP to the server; the relay is still UDP
};

struct AgentConfig {
    bool controlling = true;
    uint64_t tie_breaker = 0;
    std::string ufrag; // RFC 8445 §5.3: >= 4 ice-chars
    std::string pwd;   // >= 22 ice-chars
    std::optional<util::Endpoint> stun_server;
    std::optional<TurnServerConfig> turn_server;
    bool relay_only = false;                        // advertise and pair relayed candidates only
    std::chrono::milliseconds ta{20};               // RFC 8445 §14.2 pacing
    std::chrono::milliseconds check_rto{100};       // first retransmission of a check
    unsigned check_max_requests = 7;                // Rc for checks
    std::chrono::milliseconds gather_timeout{3000}; // bound on STUN/TURN gathering
    std::chrono::milliseconds nomination_wait{300}; // after the first valid pair
};

enum class AgentState : uint8_t { Gathering, Gathered, Checking, Connected, Failed };
std::string_view to_string(AgentState state);

struct Transmit {
    SocketId socket = 0;
    util::Endpoint to;
    std::vector<uint8_t> bytes;
};

struct SelectedPair {
    Candidate local;
    Candidate remote;
    std::chrono::microseconds rtt{0};
};

class Agent {
public:
    // `bases` are the bound addresses of the caller's sockets, index = SocketId.
    Agent(AgentConfig config, std::vector<util::Endpoint> bases, TimePoint now);

    AgentState state() const { return state_; }
    bool controlling() const { return config_.controlling; }
    // Why gathering or the checks failed; notes (a failed STUN/TURN server) otherwise.
    const std::vector<std::string>& notes() const { return notes_; }

    // Valid once state() is Gathered or later.
    Description local_description() const;
    const std::vector<Candidate>& local_candidates() const { return advertised_; }

    void set_remote(const Description& remote, TimePoint now);
    void on_datagram(SocketId socket, const util::Endpoint& from, std::span<const uint8_t> bytes,
                     TimePoint now);
    void on_timer(TimePoint now);
    std::optional<TimePoint> next_deadline() const;
    std::vector<Transmit> take_transmits();
    // At the end: deletes the TURN allocation, if any (RFC 8656 §8, a Refresh with LIFETIME 0
    // for take_transmits()).
    void release_turn();

    std::optional<SelectedPair> selected() const;
    std::size_t pair_count() const { return pairs_.size(); }
    // Role changes after 487 or a conflicting request (RFC 8445 §7.3.1.1, §7.2.5.1).
    unsigned role_switches() const { return role_switches_; }

private:
    enum class PairState : uint8_t { Waiting, InProgress, Succeeded, Failed };
    struct Local {
        Candidate candidate;
        SocketId socket = 0;
        bool relayed = false; // sent and received through the TURN allocation
        bool pairable = true; // false for host candidates with relay_only
    };
    struct Pair {
        std::size_t local = 0;
        std::size_t remote = 0;
        PairState state = PairState::Waiting;
        bool valid = false;
        bool nominated = false;        // USE-CANDIDATE seen (controlled) or confirmed (controlling)
        bool use_candidate = false;    // the check in flight carries USE-CANDIDATE
        bool sent_controlling = false; // the role the check in flight claimed
        stun::TransactionId id{};
        std::vector<uint8_t> request;
        TimePoint sent_at{};
        TimePoint next_send{};
        std::chrono::milliseconds rto{};
        unsigned sent = 0;
        std::chrono::microseconds rtt{0};
    };
    // A check that came before the peer's description: answered at once, and its source and
    // nomination applied when the description comes (RFC 8445 §7.3.1.3-§7.3.1.5).
    struct EarlyCheck {
        std::size_t local = 0;
        util::Endpoint from{};
        uint32_t priority = 0;
        bool use_candidate = false;
    };
    struct Gather {
        SocketId socket = 0;
        stun::TransactionId id{};
        std::vector<uint8_t> request;
        probe::Retransmitter timer;
        bool done = false;
    };

    void start_gathering(TimePoint now);
    void maybe_gathered(TimePoint now);
    void flush_turn();
    void add_local(CandidateType type, const util::Endpoint& address, SocketId socket, bool relayed,
                   std::optional<util::Endpoint> related, bool advertise);
    void on_stun(std::size_t local, const util::Endpoint& from, std::span<const uint8_t> bytes,
                 TimePoint now);
    void on_request(std::size_t local, const util::Endpoint& from, const stun::MessageView& m,
                    TimePoint now);
    void on_response(const util::Endpoint& from, std::size_t local, const stun::MessageView& m,
                     TimePoint now);
    void learn_check(std::size_t local, const util::Endpoint& from,
                     std::optional<uint32_t> priority, bool use_candidate);
    void send_check(std::size_t pair, TimePoint now, bool use_candidate);
    void send_from(std::size_t local, const util::Endpoint& to, std::span<const uint8_t> bytes);
    void respond(std::size_t local, const util::Endpoint& to, const stun::MessageView& request,
                 std::optional<uint16_t> error);
    std::size_t find_or_add_pair(std::size_t local, std::size_t remote);
    std::optional<std::size_t> find_remote(const util::Endpoint& address) const;
    uint64_t priority_of(const Pair& p) const;
    void switch_role();
    void select(std::size_t pair);
    void try_nominate(TimePoint now);
    void update_failed();
    bool sendable(const Pair& p) const;

    AgentConfig config_;
    std::vector<util::Endpoint> bases_;
    AgentState state_ = AgentState::Gathering;
    TimePoint gather_deadline_{};
    std::vector<Gather> gathers_;
    std::optional<TurnClient> turn_;
    SocketId turn_socket_ = 0;
    std::vector<Local> locals_;
    std::vector<Candidate> advertised_;
    std::optional<Description> remote_;
    std::vector<Candidate> remotes_; // the description's, then peer-reflexive ones
    std::vector<Pair> pairs_;
    std::deque<std::size_t> triggered_; // RFC 8445 §6.1.4.1 triggered-check queue
    std::vector<EarlyCheck> early_checks_;
    TimePoint next_check_{};
    std::optional<TimePoint> first_valid_;
    std::optional<std::size_t> nominating_;
    std::optional<std::size_t> selected_;
    unsigned role_switches_ = 0;
    std::vector<std::string> notes_;
    std::vector<Transmit> transmits_;
};

} // namespace rtc::ice

#pragma once
// RFC 5780 NAT behaviour discovery as a sans-I/O state machine. The shell owns the UDP sockets
// and the clock; the probe says which sockets to open, what to send from which socket to where,
// and reads what comes back, until it has a NatReport.
//
//   rtc::probe::NatProbe probe(config, now);
//   for (;;) {
//       while (auto c = probe.next_command()) {
//           if (c->kind == CommandKind::Open) probe.on_opened(c->socket, open_udp(c->socket));
//           else if (c->kind == CommandKind::Send) send(c->socket, c->to, c->bytes);
//           else close(c->socket);
//       }
//       if (probe.done()) break;
//       wait for a datagram -> probe.on_datagram(socket, from, bytes, now)
//          or until probe.next_deadline() -> probe.on_timer(now)
//   }
//   const NatReport& report = probe.report();
//
// The tests, each from its own fresh socket so that one test's bindings cannot open the NAT for
// another, run side by side:
// - mapping (RFC 5780 §4.3): Binding to the primary A1:P1, then to A2:P1 and A2:P2 from
//   OTHER-ADDRESS, and to every --alt-server; the mapped addresses seen are compared
//   (infer_mapping). The same socket then checks the server's CHANGE-REQUEST support with
//   requests whose answers come from addresses it has already sent to, to a binding that has
//   sent there (RESPONSE-PORT names the binding toward A2:P2), which any NAT lets in.
// - filtering (§4.4): Binding to A1:P1, then CHANGE-REQUEST "change IP and port" and "change
//   port" at the same time; which answers come back (from the right address) gives the
//   filtering.
// - hairpinning (§4.5, opt-in): two sockets learn their mapped addresses and send to each
//   other's; either arriving means the NAT hairpins.
// - binding lifetime (§4.6, opt-in): LifetimeSearch; each probe socket makes a binding and
//   stays silent, and after the wait a helper socket asks the server to answer to the probe's
//   mapped port (RESPONSE-PORT).
// The server counts as RFC 5780 capable only when OTHER-ADDRESS differs from the primary in
// both address and port and answers there itself, some CHANGE-REQUEST answer really came from
// the changed address and port, and none came from elsewhere or as an error. Without that,
// filtering is "unknown".
#include "probe/binding.hpp"
#include "probe/lifetime_search.hpp"
#include "probe/nat_report.hpp"
#include "probe/transaction.hpp"
#include "stun/message.hpp"
#include "util/ip_address.hpp"

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace rtc::probe {

using SocketId = uint32_t;

struct NatProbeConfig {
    util::Endpoint server;                   // the primary address A1:P1
    std::vector<util::Endpoint> alt_servers; // --alt-server, same address family
    milliseconds timeout{3000};              // no answer to a request within this: none
    bool hairpin = false;
    bool lifetime = false;
    milliseconds lifetime_max{120000};
    std::string software; // SOFTWARE in requests, e.g. "rtc-probe 0.1.0"
    // Fills transaction ids (RFC 8489 §5: random); default crypto::random_bytes.
    std::function<void(std::span<uint8_t>)> random;
};

enum class CommandKind : uint8_t {
    Open,  // open a UDP socket on the local address, then call on_opened
    Send,  // send `bytes` from `socket` to `to`
    Close, // close `socket`
};

struct NatCommand {
    CommandKind kind = CommandKind::Send;
    SocketId socket = 0;
    util::Endpoint to;
    std::span<const uint8_t> bytes; // valid until the next call into the probe
};

class NatProbe {
public:
    NatProbe(NatProbeConfig config, TimePoint now);

    std::optional<NatCommand> next_command();
    void on_opened(SocketId socket, const util::Endpoint& local);
    void on_datagram(SocketId socket, const util::Endpoint& from, std::span<const uint8_t> bytes,
                     TimePoint now);
    void on_timer(TimePoint now);
    std::optional<TimePoint> next_deadline() const;

    // Nothing left to send or wait for: report() is final.
    bool done() const;
    const NatReport& report() const { return report_; }

private:
    enum class Role : uint8_t {
        MapPrimary,    // mapping socket -> A1:P1
        MapAlternate,  // mapping socket -> A2:P1, A2:P2 (or A1:P2)
        MapAltServer,  // mapping socket -> --alt-server
        MapVerify,     // mapping socket: CHANGE-REQUEST answered from an address it knows
        FilterPrimary, // filtering socket -> A1:P1
        FilterChange,  // filtering socket: CHANGE-REQUEST, index 0 IP and port, 1 port only
        HairpinBind,   // hairpin sockets -> A1:P1
        HairpinCross,  // one hairpin socket -> the other's mapped address
        LifetimeBind,  // a lifetime probe socket -> A1:P1
        LifetimeCheck, // helper -> A1:P1 with RESPONSE-PORT = the probe's mapped port
    };
    enum class State : uint8_t { Scheduled, Active, Answered, TimedOut, Cancelled };

    struct Probe {
        Role role = Role::MapPrimary;
        State state = State::Scheduled;
        SocketId socket = 0;        // sends from
        SocketId answer_socket = 0; // where the answer (or the hairpinned request) arrives
        util::Endpoint to;
        util::Endpoint expect_from; // CHANGE-REQUEST: the changed address and port
        std::size_t index = 0;      // FilterChange test, lifetime wait
        stun::TransactionId id{};
        std::array<uint8_t, kMaxRequestSize> request{};
        std::size_t size = 0;
        TimePoint start{};
        RetransmitPolicy policy;
        Retransmitter timer;
        std::optional<BindingAnswer> answer;
        util::Endpoint from;
        TimePoint answered_at{};
    };

    struct Pending {
        CommandKind kind;
        SocketId socket;
        std::size_t probe; // Send: index into probes_
    };

    static constexpr SocketId kMappingSocket = 0;
    static constexpr SocketId kFilteringSocket = 1;
    static constexpr SocketId kHairpinSocketA = 2;
    static constexpr SocketId kHairpinSocketB = 3;
    static constexpr SocketId kLifetimeHelper = 4;
    static constexpr SocketId kFirstLifetimeSocket = 5;

    std::size_t add_probe(Role role, SocketId socket, const util::Endpoint& to,
                          BindingRequestSpec request, TimePoint start, bool active);
    BindingRequestSpec spec(bool change_ip = false, bool change_port = false) const;
    RetransmitPolicy policy() const;
    void open(SocketId socket);
    void close(SocketId socket);
    void cancel(std::size_t index);
    void start_probe(std::size_t index, TimePoint now);
    void poll_probe(std::size_t index, TimePoint now);

    void answered(std::size_t index, TimePoint now);
    void timed_out(std::size_t index);
    void on_map_primary(std::size_t index, TimePoint now);
    void on_filter_primary(std::size_t index, TimePoint now);
    void on_change_answer(std::size_t index);
    void on_hairpin_bind(TimePoint now);
    void on_map_alternate(std::size_t index, TimePoint now);
    void note_rtt(Clock::duration rtt);
    void start_lifetime(TimePoint now);
    void start_lifetime_round(TimePoint now);
    void advance_lifetime(TimePoint now);
    void stop_lifetime(const std::string& note);
    void advance(TimePoint now);
    void conclude();
    void not_capable(const std::string& why);

    bool other_valid(const std::optional<util::Endpoint>& other) const;
    std::optional<util::Endpoint> local(SocketId socket) const;

    NatProbeConfig config_;
    NatReport report_;
    std::vector<Probe> probes_;
    std::deque<Pending> pending_;
    std::vector<std::optional<util::Endpoint>> locals_;
    std::optional<Clock::duration> rtt_; // shortest round trip to the primary
    bool change_verified_ = false;
    std::string not_capable_; // evidence against the server, first seen
    std::optional<LifetimeSearch> lifetime_;
    SocketId next_socket_ = kFirstLifetimeSocket;
    bool concluded_ = false;
};

} // namespace rtc::probe

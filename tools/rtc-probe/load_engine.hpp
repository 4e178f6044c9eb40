#pragma once
// The engine every `rtc-probe load` kind shares: requests over batched UDP sockets
// (net::UdpBatchSocket: sendmmsg/recvmmsg), paced at a total rate or keeping a window in flight
// per socket, for a bounded time and count; answers matched through probe::InFlight and timed
// in a probe::LatencyHistogram. What a request is and how an answer is recognised is the
// LoadTraffic's business (STUN Binding for `load stun`, ChannelData through a TURN relay for
// `load turn`). One thread; the owner opens the sockets and feeds their batches to on_batch().
#include "probe/load_stats.hpp"
#include "util/ip_address.hpp"

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

namespace rtc::net {
class UdpBatchSocket;
struct ReceivedDatagram;
} // namespace rtc::net

namespace rtc::probe_tool {

struct LoadPacing {
    int window = 0;  // requests in flight per socket; used when rate is 0
    double rate = 0; // requests per second over all sockets
    std::chrono::milliseconds duration{5000};
    std::chrono::milliseconds timeout{1000}; // unanswered this long: lost
    uint64_t count = 0;                      // stop sending after this many requests (0: none)
};

struct LoadReport {
    uint64_t sent = 0;
    uint64_t answered = 0;        // success answers to requests in flight
    uint64_t error_responses = 0; // error answers to requests in flight
    uint64_t lost = 0;            // no answer within the timeout
    uint64_t late = 0;            // answers to requests already lost, or duplicates
    uint64_t invalid = 0;         // datagrams that are no answer
    uint64_t not_sent = 0;        // due but not sent: send queue or in-flight table full
    uint64_t send_errors = 0;     // refused by the kernel
    double seconds = 0;           // how long requests were sent
    probe::LatencyHistogram latency;

    double loss_ratio() const { return sent ? static_cast<double>(lost) / sent : 0; }
};

// What one kind of load sends and receives. The request carries `id` (a transaction id, or
// the first 12 bytes of a payload) so that its answer can be matched.
class LoadTraffic {
public:
    virtual ~LoadTraffic() = default;
    // The request for socket `socket` written into `out`; empty when it does not fit.
    virtual std::span<const uint8_t> write_request(uint32_t socket, const stun::TransactionId& id,
                                                   std::span<uint8_t> out) = 0;
    virtual const util::Endpoint& destination(uint32_t socket) const = 0;
    // A datagram received on `socket`: a success or error answer and its id, or NotStun for
    // anything else (counted as invalid). Never reads past `data`.
    virtual probe::BindingAnswer read_answer(uint32_t socket, std::span<const uint8_t> data) = 0;
};

inline constexpr std::size_t kLoadSendQueue = 1024; // datagrams per socket between two flushes
inline constexpr int kLoadSocketBuffer = 1 << 20;   // capped by net.core.{r,w}mem_max

class LoadEngine {
public:
    using Sockets = std::vector<std::shared_ptr<net::UdpBatchSocket>>;

    LoadEngine(asio::io_context& io, const LoadPacing& pacing, const Sockets& sockets,
               LoadTraffic& traffic);

    // Starts sending; `done` runs once sending has ended and the last answers came or timed
    // out (the sockets stay open: closing them is the owner's business).
    void start(std::function<void()> done);
    // A batch received on sockets[socket], while the engine runs.
    void on_batch(uint32_t socket, std::span<const net::ReceivedDatagram> batch);
    bool running() const { return started_ && !finished_; }
    // The counts, final once `done` ran (send errors are read from the sockets then).
    const LoadReport& report() const { return report_; }

private:
    bool sending(int64_t now) const;
    bool send_one(uint32_t i, int64_t now);
    void fill_window(uint32_t i, int64_t now);
    void send_due(int64_t now);
    void expire(int64_t now);
    void on_tick();
    void finish();

    // SplitMix64 (Steele, Lea, Flood): tags only need to be distinct and not guessable by the
    // network path; the seed is from the system's entropy.
    uint64_t next_tag();

    const LoadPacing& pacing_;
    const Sockets& sockets_;
    LoadTraffic& traffic_;
    asio::steady_timer timer_;
    probe::InFlight flight_;
    std::vector<uint32_t> per_socket_; // requests in flight per socket
    std::vector<uint32_t> expired_;    // scratch for expire()
    std::vector<uint8_t> scratch_;     // one request
    std::function<void()> done_;
    LoadReport report_;
    std::chrono::steady_clock::time_point next_tick_;
    uint64_t tag_state_ = 0;
    int64_t start_ns_ = 0;
    int64_t end_ns_ = 0;
    int64_t sent_until_ns_ = 0;
    int64_t drain_end_ns_ = 0;
    int64_t next_expire_ns_ = 0;
    uint64_t scheduled_ = 0;
    uint32_t next_socket_ = 0;
    int round_ = 0;
    bool started_ = false;
    bool send_ended_ = false;
    bool finished_ = false;
};

// Monotonic nanoseconds, the engine's clock.
int64_t load_now_ns();

} // namespace rtc::probe_tool

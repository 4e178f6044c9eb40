#pragma once
// A UDP socket that reads with recvmmsg and writes with sendmmsg (ARCHITECTURE principle 3).
// Buffers are allocated once when the socket opens; nothing is allocated per datagram.
//
//   auto sock = rtc::net::UdpBatchSocket::open(io, *Endpoint::parse("0.0.0.0:3478"));
//   sock->start([](UdpBatchSocket& s, std::span<const ReceivedDatagram> batch) {
//       for (const auto& d : batch)
//           s.send(d.data, d.source);   // queued; flushed when the handler returns
//   });
//
// A server opens one socket per io_context thread per listen address, all bound with
// SO_REUSEPORT, so the kernel keeps each 5-tuple on one thread. A handler may also send on
// another socket of the same thread (RFC 5780 answers from the alternate address): that socket
// flushes right after the current handler returns. All calls must come from the socket's thread.
//
// Sending: consecutive queued datagrams of one size to one destination leave as one UDP GSO
// super-datagram (Linux UDP_SEGMENT; the last segment may be shorter), all of a flush in one
// sendmmsg. A kernel or device that refuses GSO gets plain datagrams from then on.
#include "util/ip_address.hpp"

#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <system_error>
#include <vector>

#include <sys/socket.h>
#include <sys/uio.h>

namespace rtc::net {

// Stands in for ::sendmmsg (tests inject partial results and errors); nullptr means ::sendmmsg.
using SendmmsgFunction = int (*)(int fd, mmsghdr* messages, unsigned int count, int flags);

// One datagram to send: bytes and destination stay owned by the caller during send().
struct OutDatagram {
    std::span<const uint8_t> data;
    const sockaddr_storage* to = nullptr;
    socklen_t to_length = 0;
};

// Whether a socket may use UDP GSO, learned from the kernel's refusals.
struct GsoState {
    bool enabled = true;
    uint32_t max_segment = 0xFFFF; // segments of this size or more are sent one by one
    uint8_t refusals = 0;
    // The kernel refused a GSO send of `segment`-byte segments with `err`: true if that is a GSO
    // refusal (then sending again as plain datagrams, or smaller segments, is worth a try).
    bool refused(int err, uint32_t segment);
};

// The kernel's limits on one GSO super-datagram: UDP_MAX_SEGMENTS (64 before Linux 6.8) and the
// 64 kB IP payload.
constexpr std::size_t kGsoMaxSegments = 64;
constexpr std::size_t kGsoMaxBytes = 65000;

// How many of `datagrams`, from the first, one GSO send carries: same destination, the first
// one's size (at least 1 byte, below gso.max_segment), except the last, which may be shorter.
// 1 when GSO is off or the run has one datagram; 0 for an empty list.
std::size_t gso_run_length(std::span<const OutDatagram> datagrams, const GsoState& gso);

// sendmmsg with UDP GSO over a list of datagrams, in order. Scratch space (messages, iovecs,
// control buffers) is allocated once, for `capacity` datagrams per send().
class SendBatch {
public:
    explicit SendBatch(std::size_t capacity, SendmmsgFunction function = nullptr);

    struct Outcome {
        std::size_t sent = 0;    // datagrams the kernel took, from the first
        std::size_t refused = 0; // datagrams dropped because the kernel refused them
        uint64_t bytes = 0;      // bytes of the sent ones
        bool blocked = false;    // stopped at EAGAIN: the rest (from sent + refused) is unsent
    };
    // Sends up to capacity() datagrams on the non-blocking socket `fd`. Datagrams are never
    // reordered; a refused GSO send is retried as plain datagrams before anything is dropped.
    Outcome send(int fd, std::span<const OutDatagram> datagrams, GsoState& gso);
    std::size_t capacity() const { return messages_.size(); }

private:
    struct alignas(cmsghdr) Control {
        uint8_t bytes[CMSG_SPACE(sizeof(uint16_t))];
    };
    // Fills messages for `datagrams`; returns how many messages.
    std::size_t build(std::span<const OutDatagram> datagrams, const GsoState& gso);

    SendmmsgFunction function_;
    std::vector<mmsghdr> messages_;
    std::vector<iovec> iov_;
    std::vector<Control> control_;
    std::vector<uint32_t> segments_; // datagrams in each message
};

struct UdpBatchOptions {
    std::size_t batch_size = 64;     // datagrams per recvmmsg / sendmmsg
    std::size_t max_datagram = 2048; // receive and send slot size; longer datagrams are truncated
    std::size_t send_queue = 256;    // datagrams waiting to be sent; beyond that they are dropped
    bool reuse_port = true;          // SO_REUSEPORT
    int receive_buffer = 0;          // SO_RCVBUF in bytes, 0 keeps the kernel default
    int send_buffer = 0;             // SO_SNDBUF in bytes, 0 keeps the kernel default
    bool gso = true;                 // UDP GSO when the kernel has it
    SendmmsgFunction send_function = nullptr; // tests only
};

struct ReceivedDatagram {
    std::span<const uint8_t> data; // valid only during the handler call
    util::Endpoint source;
    bool truncated = false; // the datagram was longer than max_datagram
};

struct UdpSocketStats {
    uint64_t datagrams_received = 0;
    uint64_t bytes_received = 0;
    uint64_t datagrams_sent = 0;
    uint64_t bytes_sent = 0;
    uint64_t truncated = 0;
    uint64_t receive_errors = 0;
    uint64_t send_errors = 0;  // the kernel refused a datagram (unreachable, wrong family...)
    uint64_t send_dropped = 0; // queue full or datagram larger than a slot
};

class UdpBatchSocket : public std::enable_shared_from_this<UdpBatchSocket> {
public:
    using Handler =
        std::function<void(UdpBatchSocket& socket, std::span<const ReceivedDatagram> batch)>;

    // Opens and binds (IPV6_V6ONLY on IPv6 so [::] and 0.0.0.0 can share a port).
    // Throws std::system_error if the socket cannot be bound.
    static std::shared_ptr<UdpBatchSocket> open(asio::io_context& io, const util::Endpoint& local,
                                                const UdpBatchOptions& options = {});
    // Same, reporting failure through `ec` (and returning nullptr).
    static std::shared_ptr<UdpBatchSocket> open(asio::io_context& io, const util::Endpoint& local,
                                                const UdpBatchOptions& options,
                                                std::error_code& ec);
    ~UdpBatchSocket();
    UdpBatchSocket(const UdpBatchSocket&) = delete;
    UdpBatchSocket& operator=(const UdpBatchSocket&) = delete;

    // Starts reading; the handler is called with each batch of received datagrams.
    void start(Handler handler);
    // Queues a datagram (copied). False if it was dropped (queue full, too large, closed).
    bool send(std::span<const uint8_t> data, const util::Endpoint& to);
    // Sends what is queued now (normally automatic), and ends a defer_flush().
    void flush();
    // Until the next flush(), datagrams sent outside the handler wait for the caller's flush()
    // instead of a flush posted to the io_context: a caller that sends a batch and flushes
    // saves the posted handler and the event loop round it costs.
    void defer_flush() { deferred_ = true; }
    // Stops reading, drops what is queued and closes the socket.
    void close();

    util::Endpoint local_endpoint() const { return local_; }
    asio::io_context& context() { return io_; }
    // Safe to call from any thread (e.g. a metrics exporter).
    UdpSocketStats stats() const;

    struct Private; // construction helper
    UdpBatchSocket(asio::io_context& io, const UdpBatchOptions& options, Private);

private:
    class Counter {
    public:
        // Single writer (the socket's thread), any number of readers.
        void add(uint64_t n) {
            v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
        }
        uint64_t get() const { return v_.load(std::memory_order_relaxed); }

    private:
        std::atomic<uint64_t> v_{0};
    };

    void bind(const util::Endpoint& local, std::error_code& ec);
    void arm_read();
    void on_readable();
    void arm_write();
    void schedule_flush();

    asio::io_context& io_;
    asio::ip::udp::socket socket_;
    UdpBatchOptions options_;
    util::Endpoint local_;
    Handler handler_;
    bool closed_ = false;
    bool in_handler_ = false;
    bool flush_posted_ = false;
    bool write_waiting_ = false;
    bool deferred_ = false;

    // Receive side: batch_size slots, allocated once.
    std::vector<uint8_t> rx_buffer_;
    std::vector<mmsghdr> rx_msgs_;
    std::vector<iovec> rx_iov_;
    std::vector<sockaddr_storage> rx_addr_;
    std::vector<ReceivedDatagram> rx_batch_;

    // Send side: a ring of send_queue slots, allocated once.
    std::vector<uint8_t> tx_buffer_;
    std::vector<sockaddr_storage> tx_addr_;
    std::vector<uint32_t> tx_addr_len_;
    std::vector<uint32_t> tx_size_;
    std::size_t tx_head_ = 0;
    std::size_t tx_count_ = 0;
    SendBatch tx_batch_;
    std::vector<OutDatagram> tx_list_;
    GsoState gso_;

    Counter datagrams_received_, bytes_received_, datagrams_sent_, bytes_sent_, truncated_,
        receive_errors_, send_errors_, send_dropped_;
};

} // namespace rtc::net

#pragma once
// Light relay sockets for a TURN server (RFC 8656 §7.2, §14.6): one non-blocking UDP socket per
// allocation, bound at a random port of a range, with no buffers of its own. Every socket of a
// thread reads into the thread's one receive buffer (recvmmsg after async_wait) and sends from
// the thread's one send queue, so a held allocation costs an fd and a few hundred bytes of user
// memory instead of a UdpBatchSocket's buffers.
//
// Sending: queue() copies a datagram into the thread's send queue and flush() sends it: one
// sendmmsg per relay socket per flush, equal-size runs to one peer as one UDP GSO
// super-datagram. A server queues what one batch of client datagrams asks for, then flushes.
//
//   rtc::net::RelaySockets relays(io, {.min_port = 49152, .max_port = 65535},
//       [](rtc::net::RelaySockets::Id id, std::span<const rtc::net::RelayDatagram> batch) {...});
//   std::error_code ec;
//   auto bound = relays.open(address, /*even_port=*/false, ec);   // random port, bounded tries
//   relays.send(bound->id, bytes, peer);          // now, one sendto
//   relays.queue(bound->id, bytes, peer);         // later, with the others ...
//   relays.flush();                               // ... here
//   relays.close(bound->id);
//
// All calls come from the io_context's thread; stats() may be read from any thread.
#include "net/udp_batch_socket.hpp"
#include "util/ip_address.hpp"

#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <system_error>
#include <unordered_map>
#include <vector>

#include <sys/socket.h>
#include <sys/uio.h>

namespace rtc::net {

struct RelayDatagram {
    std::span<const uint8_t> data; // valid only during the handler call
    util::Endpoint source;
    bool truncated = false;
};

struct RelaySocketOptions {
    uint16_t min_port = 49152; // --port-range
    uint16_t max_port = 65535;
    int bind_attempts = 64;          // random ports tried before giving up
    std::size_t batch_size = 32;     // datagrams per recvmmsg, shared by the thread
    std::size_t max_datagram = 2048; // longer datagrams are truncated (and dropped by the caller)
    int receive_buffer = 0;          // SO_RCVBUF per socket, 0 keeps the kernel default
    std::size_t send_queue = 64;     // datagrams queue() holds before it flushes by itself
    bool gso = true;                 // UDP GSO when the kernel has it
    SendmmsgFunction send_function = nullptr; // tests only
};

struct RelaySocketStats {
    uint64_t open = 0; // sockets currently open
    uint64_t bind_failures = 0;
    uint64_t datagrams_received = 0;
    uint64_t datagrams_sent = 0;
    uint64_t send_errors = 0; // refused by the kernel, or dropped at EAGAIN
};

class RelaySockets {
public:
    using Id = uint32_t;
    using Handler = std::function<void(Id id, std::span<const RelayDatagram> batch)>;

    struct Bound {
        Id id = 0;
        util::Endpoint local; // the address and port actually bound
    };

    RelaySockets(asio::io_context& io, RelaySocketOptions options, Handler handler);
    ~RelaySockets(); // closes every socket
    RelaySockets(const RelaySockets&) = delete;
    RelaySockets& operator=(const RelaySockets&) = delete;

    // Binds a socket on `address` at a random port of the range (an even one when even_port,
    // RFC 8656 §14.6) and starts reading. nullopt with `ec` set when no port could be bound in
    // bind_attempts tries.
    std::optional<Bound> open(const util::IpAddress& address, bool even_port, std::error_code& ec);
    // Binds exactly `local` (a port held for a RESERVATION-TOKEN, RFC 8656 §14.9); reading
    // starts only if `read` is set.
    std::optional<Bound> open_at(const util::Endpoint& local, bool read, std::error_code& ec);
    // Adopts a bound UDP socket (e.g. a port held for a RESERVATION-TOKEN on another thread) and
    // starts reading it. The fd is closed on failure.
    std::optional<Bound> adopt(int fd, std::error_code& ec);
    // Closes the socket `id` here and hands its fd to the caller (who must close it).
    int release_fd(Id id);
    // Starts reading a socket opened with read = false.
    void start(Id id);
    void close(Id id);
    void close_all();

    // Sends one datagram now (non-blocking); false if the kernel refused it or `id` is unknown.
    // dont_fragment sets DF on IPv4 for this socket from now on (RFC 8656 §14.8).
    bool send(Id id, std::span<const uint8_t> data, const util::Endpoint& to,
              bool dont_fragment = false);
    // Copies a datagram into the send queue (flushing first if it is full); flush() sends it.
    // Datagrams of one socket leave in the order they were queued, after those sent by send()
    // before. False if `id` is unknown or the datagram was refused.
    bool queue(Id id, std::span<const uint8_t> data, const util::Endpoint& to,
               bool dont_fragment = false);
    // Sends what queue() holds. A socket whose send buffer is full (EAGAIN) drops the rest of
    // its datagrams, as send() would; counted in send_errors. Returns how many were dropped.
    std::size_t flush();

    std::size_t size() const { return sockets_.size(); }
    RelaySocketStats stats() const;

private:
    struct Socket;
    void arm(const std::shared_ptr<Socket>& socket);
    void on_readable(Socket& socket);
    uint16_t random_port(bool even);
    uint16_t port_for_attempt(uint16_t start, int attempt, bool even) const;
    void set_dont_fragment(Socket& socket, const util::Endpoint& to);

    asio::io_context& io_;
    RelaySocketOptions options_;
    Handler handler_;
    std::unordered_map<Id, std::shared_ptr<Socket>> sockets_;
    Id next_id_ = 1;
    std::mt19937 rng_;

    // The thread's receive buffer, shared by every socket.
    std::vector<uint8_t> rx_buffer_;
    std::vector<mmsghdr> rx_msgs_;
    std::vector<iovec> rx_iov_;
    std::vector<sockaddr_storage> rx_addr_;
    std::vector<RelayDatagram> rx_batch_;

    // The thread's send queue: send_queue slots of max_datagram bytes, allocated once.
    struct Queued {
        Id id;
        uint32_t size;
        socklen_t to_length;
        sockaddr_storage to;
    };
    std::vector<uint8_t> tx_buffer_;
    std::vector<Queued> tx_queue_;
    std::size_t tx_count_ = 0;
    std::vector<bool> tx_done_;
    std::vector<OutDatagram> tx_list_;
    SendBatch tx_batch_;

    std::atomic<uint64_t> open_{0}, bind_failures_{0}, received_{0}, sent_{0}, send_errors_{0};
};

} // namespace rtc::net

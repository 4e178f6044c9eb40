#include "net/relay_socket.hpp"

#include "net/port_probe.hpp"

#include "crypto/random.hpp"
#include "net/socket_address.hpp"

#include <asio/ip/v6_only.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <unistd.h>

namespace rtc::net {

namespace {
// recvmmsg rounds per readiness event before the socket yields to the others.
constexpr int kMaxReadRounds = 4;
} // namespace

// What one relay costs: the Asio socket and this flag. Pending waits hold a shared pointer, so
// a socket closed while its wait is queued is freed only after the wait has seen `closed`.
struct RelaySockets::Socket {
    explicit Socket(asio::io_context& io, Id i) : socket(io), id(i) {}
    asio::ip::udp::socket socket;
    Id id;
    bool closed = false;
    bool reading = false;
    bool dont_fragment = false;
    GsoState gso;
};

RelaySockets::RelaySockets(asio::io_context& io, RelaySocketOptions options, Handler handler)
    : io_(io), options_(options), handler_(std::move(handler)),
      rng_(static_cast<std::mt19937::result_type>(crypto::random_u32())),
      tx_batch_(std::clamp<std::size_t>(options.send_queue, 1, 1024), options.send_function) {
    if (options_.min_port == 0)
        options_.min_port = 1;
    if (options_.max_port < options_.min_port)
        options_.max_port = options_.min_port;
    options_.batch_size = std::clamp<std::size_t>(options_.batch_size, 1, 1024);
    options_.max_datagram = std::max<std::size_t>(options_.max_datagram, 1);
    if (options_.bind_attempts < 1)
        options_.bind_attempts = 1;
    const std::size_t b = options_.batch_size;
    rx_buffer_.resize(b * options_.max_datagram);
    rx_msgs_.resize(b);
    rx_iov_.resize(b);
    rx_addr_.resize(b);
    rx_batch_.resize(b);
    options_.send_queue = tx_batch_.capacity();
    tx_buffer_.resize(options_.send_queue * options_.max_datagram);
    tx_queue_.resize(options_.send_queue);
    tx_done_.resize(options_.send_queue);
    tx_list_.resize(options_.send_queue);
}

RelaySockets::~RelaySockets() {
    close_all();
}

uint16_t RelaySockets::random_port(bool even) {
    std::uniform_int_distribution<uint32_t> pick(options_.min_port, options_.max_port);
    uint32_t port = pick(rng_);
    if (even && (port & 1u)) {
        // RFC 8656 §14.6: the relayed port must be even; stay inside the range.
        port = port - 1 >= options_.min_port ? port - 1 : port + 1;
    }
    return static_cast<uint16_t>(port);
}

uint16_t RelaySockets::port_for_attempt(uint16_t start, int attempt, bool even) const {
    const uint32_t range = uint32_t{options_.max_port} - options_.min_port + 1;
    const uint32_t step = even ? 2 : 1;
    uint32_t port = options_.min_port + (start - options_.min_port + attempt * step) % range;
    if (even && (port & 1u)) // the walk wrapped onto an odd port: RFC 8656 §14.6 wants even
        port = port - 1 >= options_.min_port ? port - 1 : port + 1;
    return static_cast<uint16_t>(port);
}

std::optional<RelaySockets::Bound> RelaySockets::open_at(const util::Endpoint& local, bool read,
                                                         std::error_code& ec) {
    ec.clear();
    auto s = std::make_shared<Socket>(io_, next_id_);
    s->gso.enabled = options_.gso;
    const auto endpoint = to_udp(local);
    s->socket.open(endpoint.protocol(), ec);
    if (ec)
        return std::nullopt;
    if (endpoint.address().is_v6())
        s->socket.set_option(asio::ip::v6_only(true), ec);
    if (!ec)
        s->socket.non_blocking(true, ec);
    if (!ec && options_.receive_buffer > 0)
        s->socket.set_option(asio::socket_base::receive_buffer_size(options_.receive_buffer), ec);
    if (!ec)
        s->socket.bind(endpoint, ec);
    if (ec)
        return std::nullopt;
    Bound bound{next_id_, from_asio(s->socket.local_endpoint(ec))};
    if (ec)
        return std::nullopt;
    if (++next_id_ == 0)
        next_id_ = 1;
    sockets_.emplace(bound.id, s);
    open_.fetch_add(1, std::memory_order_relaxed);
    if (read)
        start(bound.id);
    return bound;
}

std::optional<RelaySockets::Bound> RelaySockets::open(const util::IpAddress& address,
                                                      bool even_port, std::error_code& ec) {
    // A random start, then a walk through the range: a crowded range still finds its free
    // ports within bind_attempts, and no port is tried twice while the range is larger.
    const uint16_t start = random_port(even_port);
    for (int attempt = 0; attempt < options_.bind_attempts; ++attempt) {
        if (even_port && options_.min_port == options_.max_port && (options_.min_port & 1u))
            break; // a one-port range with an odd port has no even port
        auto bound = open_at({address, port_for_attempt(start, attempt, even_port)}, true, ec);
        if (bound)
            return bound;
        if (!is_address_in_use(ec))
            break; // not a taken port: another try would fail the same way
    }
    if (!ec)
        ec = std::make_error_code(std::errc::address_in_use);
    bind_failures_.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
}

std::optional<RelaySockets::Bound> RelaySockets::adopt(int fd, std::error_code& ec) {
    ec.clear();
    sockaddr_storage addr{};
    socklen_t length = sizeof(addr);
    std::optional<util::Endpoint> local;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) == 0)
        local = from_sockaddr(addr, length);
    if (!local) {
        ::close(fd);
        ec = std::make_error_code(std::errc::bad_file_descriptor);
        return std::nullopt;
    }
    auto s = std::make_shared<Socket>(io_, next_id_);
    s->gso.enabled = options_.gso;
    s->socket.assign(local->address.family() == util::Family::V4 ? asio::ip::udp::v4()
                                                                 : asio::ip::udp::v6(),
                     fd, ec);
    if (ec) {
        ::close(fd);
        return std::nullopt;
    }
    s->socket.non_blocking(true, ec);
    Bound bound{next_id_, *local};
    if (++next_id_ == 0)
        next_id_ = 1;
    sockets_.emplace(bound.id, s);
    open_.fetch_add(1, std::memory_order_relaxed);
    start(bound.id);
    return bound;
}

int RelaySockets::release_fd(Id id) {
    auto it = sockets_.find(id);
    if (it == sockets_.end())
        return -1;
    if (tx_count_ > 0)
        flush(); // its queued datagrams leave before the socket does
    it->second->closed = true;
    int fd = it->second->socket.release();
    sockets_.erase(it);
    open_.fetch_sub(1, std::memory_order_relaxed);
    return fd;
}

void RelaySockets::start(Id id) {
    auto it = sockets_.find(id);
    if (it == sockets_.end() || it->second->reading)
        return;
    it->second->reading = true;
    arm(it->second);
}

void RelaySockets::arm(const std::shared_ptr<Socket>& socket) {
    socket->socket.async_wait(asio::socket_base::wait_read,
                              [this, socket](const std::error_code& ec) {
                                  if (socket->closed || ec)
                                      return;
                                  on_readable(*socket);
                                  if (!socket->closed)
                                      arm(socket);
                              });
}

void RelaySockets::on_readable(Socket& socket) {
    const int fd = socket.socket.native_handle();
    const std::size_t b = options_.batch_size;
    for (int round = 0; round < kMaxReadRounds && !socket.closed; ++round) {
        for (std::size_t i = 0; i < b; ++i) {
            rx_iov_[i] = {rx_buffer_.data() + i * options_.max_datagram, options_.max_datagram};
            rx_msgs_[i] = {};
            rx_msgs_[i].msg_hdr.msg_name = &rx_addr_[i];
            rx_msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
            rx_msgs_[i].msg_hdr.msg_iov = &rx_iov_[i];
            rx_msgs_[i].msg_hdr.msg_iovlen = 1;
        }
        int n = ::recvmmsg(fd, rx_msgs_.data(), static_cast<unsigned>(b), MSG_DONTWAIT, nullptr);
        if (n <= 0)
            return; // EAGAIN, or an error the next wait reports again
        std::size_t count = 0;
        for (int i = 0; i < n; ++i) {
            auto source = from_sockaddr(rx_addr_[i], rx_msgs_[i].msg_hdr.msg_namelen);
            if (!source)
                continue;
            const bool truncated = (rx_msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
            std::size_t size = std::min<std::size_t>(rx_msgs_[i].msg_len, options_.max_datagram);
            const uint8_t* data =
                rx_buffer_.data() + static_cast<std::size_t>(i) * options_.max_datagram;
            rx_batch_[count++] = {std::span<const uint8_t>(data, size), *source, truncated};
        }
        received_.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
        if (count > 0)
            handler_(socket.id, std::span<const RelayDatagram>(rx_batch_.data(), count));
        if (static_cast<std::size_t>(n) < b)
            return;
    }
}

void RelaySockets::set_dont_fragment(Socket& s, const util::Endpoint& to) {
    if (s.dont_fragment || to.address.family() != util::Family::V4)
        return;
    // RFC 8656 §14.8: DONT-FRAGMENT asks for DF on the relayed IPv4 packets.
    int value = IP_PMTUDISC_DO;
    ::setsockopt(s.socket.native_handle(), IPPROTO_IP, IP_MTU_DISCOVER, &value, sizeof(value));
    s.dont_fragment = true;
}

bool RelaySockets::send(Id id, std::span<const uint8_t> data, const util::Endpoint& to,
                        bool dont_fragment) {
    auto it = sockets_.find(id);
    if (it == sockets_.end())
        return false;
    if (tx_count_ > 0)
        flush(); // what was queued before leaves first
    auto& s = *it->second;
    if (dont_fragment)
        set_dont_fragment(s, to);
    sockaddr_storage addr;
    socklen_t length = to_sockaddr(to, addr);
    ssize_t n = ::sendto(s.socket.native_handle(), data.data(), data.size(), MSG_DONTWAIT,
                         reinterpret_cast<const sockaddr*>(&addr), length);
    if (n < 0 || static_cast<std::size_t>(n) != data.size()) {
        send_errors_.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    sent_.fetch_add(1, std::memory_order_relaxed);
    return true;
}

bool RelaySockets::queue(Id id, std::span<const uint8_t> data, const util::Endpoint& to,
                         bool dont_fragment) {
    if (data.size() > options_.max_datagram)
        return send(id, data, to, dont_fragment); // flushes the queue first: order is kept
    auto it = sockets_.find(id);
    if (it == sockets_.end())
        return false;
    if (dont_fragment) {
        if (!it->second->dont_fragment && tx_count_ > 0)
            flush(); // DF applies from this datagram on, not to those queued before
        set_dont_fragment(*it->second, to);
    }
    if (tx_count_ == tx_queue_.size())
        flush();
    Queued& q = tx_queue_[tx_count_];
    q.id = id;
    q.size = static_cast<uint32_t>(data.size());
    q.to_length = to_sockaddr(to, q.to);
    if (!data.empty())
        std::memcpy(tx_buffer_.data() + tx_count_ * options_.max_datagram, data.data(),
                    data.size());
    ++tx_count_;
    return true;
}

std::size_t RelaySockets::flush() {
    const std::size_t count = tx_count_;
    tx_count_ = 0;
    std::fill_n(tx_done_.begin(), count, false);
    uint64_t sent = 0, errors = 0;
    // One socket at a time, its datagrams in queue order (other sockets' ones may be between).
    for (std::size_t first = 0; first < count; ++first) {
        if (tx_done_[first])
            continue;
        const Id id = tx_queue_[first].id;
        std::size_t n = 0;
        for (std::size_t i = first; i < count; ++i) {
            if (tx_done_[i] || tx_queue_[i].id != id)
                continue;
            tx_done_[i] = true;
            const Queued& q = tx_queue_[i];
            tx_list_[n++] = {
                {tx_buffer_.data() + i * options_.max_datagram, q.size}, &q.to, q.to_length};
        }
        auto it = sockets_.find(id);
        if (it == sockets_.end()) { // closed since it was queued
            errors += n;
            continue;
        }
        const auto r =
            tx_batch_.send(it->second->socket.native_handle(),
                           std::span<const OutDatagram>(tx_list_.data(), n), it->second->gso);
        sent += r.sent;
        errors += n - r.sent; // refused, or dropped at EAGAIN like a sendto would be
    }
    sent_.fetch_add(sent, std::memory_order_relaxed);
    if (errors > 0)
        send_errors_.fetch_add(errors, std::memory_order_relaxed);
    return errors;
}

void RelaySockets::close(Id id) {
    auto it = sockets_.find(id);
    if (it == sockets_.end())
        return;
    if (tx_count_ > 0)
        flush(); // what the client sent before it let the allocation go still leaves
    it->second->closed = true;
    std::error_code ignored;
    it->second->socket.close(ignored);
    sockets_.erase(it);
    open_.fetch_sub(1, std::memory_order_relaxed);
}

void RelaySockets::close_all() {
    if (tx_count_ > 0)
        flush();
    std::error_code ignored;
    for (auto& [id, s] : sockets_) {
        s->closed = true;
        s->socket.close(ignored);
    }
    open_.fetch_sub(sockets_.size(), std::memory_order_relaxed);
    sockets_.clear();
}

RelaySocketStats RelaySockets::stats() const {
    RelaySocketStats s;
    s.open = open_.load(std::memory_order_relaxed);
    s.bind_failures = bind_failures_.load(std::memory_order_relaxed);
    s.datagrams_received = received_.load(std::memory_order_relaxed);
    s.datagrams_sent = sent_.load(std::memory_order_relaxed);
    s.send_errors = send_errors_.load(std::memory_order_relaxed);
    return s;
}

} // namespace rtc::net

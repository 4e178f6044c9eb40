#include "net/udp_batch_socket.hpp"

#include "net/socket_address.hpp"

#include <asio/ip/v6_only.hpp>
#include <asio/post.hpp>

#include <cerrno>
#include <cstring>
#include <netinet/in.h>

namespace rtc::net {

namespace {
// recvmmsg rounds per readiness event before yielding to other handlers on the thread.
constexpr int kMaxReadRounds = 8;

bool would_block(int err) {
    return err == EAGAIN || err == EWOULDBLOCK;
}
} // namespace

struct UdpBatchSocket::Private {};

UdpBatchSocket::UdpBatchSocket(asio::io_context& io, const UdpBatchOptions& options, Private)
    : io_(io), socket_(io), options_(options) {
    if (options_.batch_size == 0)
        options_.batch_size = 1;
    if (options_.batch_size > 1024) // UIO_MAXIOV
        options_.batch_size = 1024;
    if (options_.max_datagram == 0)
        options_.max_datagram = 1;
    if (options_.send_queue == 0)
        options_.send_queue = 1;
    const std::size_t b = options_.batch_size;
    rx_buffer_.resize(b * options_.max_datagram);
    rx_msgs_.resize(b);
    rx_iov_.resize(b);
    rx_addr_.resize(b);
    rx_batch_.resize(b);
    const std::size_t q = options_.send_queue;
    tx_buffer_.resize(q * options_.max_datagram);
    tx_addr_.resize(q);
    tx_addr_len_.resize(q);
    tx_size_.resize(q);
    tx_msgs_.resize(std::min(q, std::size_t{1024}));
    tx_iov_.resize(tx_msgs_.size());
}

UdpBatchSocket::~UdpBatchSocket() = default;

std::shared_ptr<UdpBatchSocket> UdpBatchSocket::open(asio::io_context& io,
                                                     const util::Endpoint& local,
                                                     const UdpBatchOptions& options) {
    std::error_code ec;
    auto s = open(io, local, options, ec);
    if (ec)
        throw std::system_error(ec, "cannot bind udp://" + local.to_string());
    return s;
}

std::shared_ptr<UdpBatchSocket> UdpBatchSocket::open(asio::io_context& io,
                                                     const util::Endpoint& local,
                                                     const UdpBatchOptions& options,
                                                     std::error_code& ec) {
    auto s = std::make_shared<UdpBatchSocket>(io, options, Private{});
    s->bind(local, ec);
    if (ec)
        return nullptr;
    return s;
}

void UdpBatchSocket::bind(const util::Endpoint& local, std::error_code& ec) {
    const auto endpoint = to_udp(local);
    socket_.open(endpoint.protocol(), ec);
    if (ec)
        return;
    const int fd = socket_.native_handle();
    const int one = 1;
    if (options_.reuse_port && ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
        ec = std::error_code(errno, std::system_category());
        return;
    }
    if (local.address.is_v6()) {
        socket_.set_option(asio::ip::v6_only(true), ec);
        if (ec)
            return;
    }
    if (options_.receive_buffer > 0)
        socket_.set_option(asio::socket_base::receive_buffer_size(options_.receive_buffer), ec);
    if (!ec && options_.send_buffer > 0)
        socket_.set_option(asio::socket_base::send_buffer_size(options_.send_buffer), ec);
    if (ec)
        return;
    socket_.bind(endpoint, ec);
    if (ec)
        return;
    socket_.non_blocking(true, ec);
    if (ec)
        return;
    const auto bound = socket_.local_endpoint(ec);
    if (ec)
        return;
    local_ = from_asio(bound);
}

void UdpBatchSocket::start(Handler handler) {
    handler_ = std::move(handler);
    // Datagrams that arrived before start() raised their readiness edge already: read first.
    asio::post(io_, [self = shared_from_this()] { self->on_readable(); });
}

void UdpBatchSocket::arm_read() {
    socket_.async_wait(asio::socket_base::wait_read,
                       [self = shared_from_this()](const std::error_code& ec) {
                           if (ec == asio::error::operation_aborted || self->closed_)
                               return;
                           if (ec)
                               self->receive_errors_.add(1);
                           self->on_readable();
                       });
}

void UdpBatchSocket::on_readable() {
    if (closed_)
        return;
    const int fd = socket_.native_handle();
    const std::size_t slot = options_.max_datagram;
    for (int round = 0; round < kMaxReadRounds; ++round) {
        const std::size_t b = options_.batch_size;
        for (std::size_t i = 0; i < b; ++i) {
            rx_iov_[i].iov_base = rx_buffer_.data() + i * slot;
            rx_iov_[i].iov_len = slot;
            msghdr& h = rx_msgs_[i].msg_hdr;
            std::memset(&h, 0, sizeof(h));
            h.msg_name = &rx_addr_[i];
            h.msg_namelen = sizeof(sockaddr_storage);
            h.msg_iov = &rx_iov_[i];
            h.msg_iovlen = 1;
            rx_msgs_[i].msg_len = 0;
        }
        const int n =
            ::recvmmsg(fd, rx_msgs_.data(), static_cast<unsigned>(b), MSG_DONTWAIT, nullptr);
        if (n < 0) {
            const int err = errno;
            if (would_block(err)) {
                arm_read();
                return;
            }
            if (err != EINTR)
                receive_errors_.add(1);
            continue;
        }
        std::size_t count = 0;
        uint64_t bytes = 0, truncated = 0, bad = 0;
        for (int i = 0; i < n; ++i) {
            const auto source = from_sockaddr(rx_addr_[i], rx_msgs_[i].msg_hdr.msg_namelen);
            if (!source) {
                ++bad;
                continue;
            }
            const bool trunc = (rx_msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
            const std::size_t len = std::min<std::size_t>(rx_msgs_[i].msg_len, slot);
            truncated += trunc ? 1 : 0;
            bytes += len;
            rx_batch_[count++] = ReceivedDatagram{
                std::span<const uint8_t>(rx_buffer_.data() + std::size_t(i) * slot, len), *source,
                trunc};
        }
        datagrams_received_.add(count);
        bytes_received_.add(bytes);
        truncated_.add(truncated);
        receive_errors_.add(bad);
        if (count > 0 && handler_) {
            in_handler_ = true;
            handler_(*this, std::span<const ReceivedDatagram>(rx_batch_.data(), count));
            in_handler_ = false;
        }
        flush();
        if (closed_)
            return;
        // With MSG_DONTWAIT a short batch means the queue was empty: the next datagram raises
        // a new readiness edge, so waiting is safe.
        if (static_cast<std::size_t>(n) < b) {
            arm_read();
            return;
        }
    }
    // Still busy: let other handlers on this thread run, then continue reading.
    asio::post(io_, [self = shared_from_this()] { self->on_readable(); });
}

bool UdpBatchSocket::send(std::span<const uint8_t> data, const util::Endpoint& to) {
    if (closed_ || data.size() > options_.max_datagram) {
        send_dropped_.add(1);
        return false;
    }
    if (tx_count_ == options_.send_queue) {
        flush();
        if (tx_count_ == options_.send_queue) {
            send_dropped_.add(1);
            return false;
        }
    }
    const std::size_t index = (tx_head_ + tx_count_) % options_.send_queue;
    std::memcpy(tx_buffer_.data() + index * options_.max_datagram, data.data(), data.size());
    tx_size_[index] = static_cast<uint32_t>(data.size());
    tx_addr_len_[index] = to_sockaddr(to, tx_addr_[index]);
    ++tx_count_;
    if (!in_handler_)
        schedule_flush();
    return true;
}

void UdpBatchSocket::schedule_flush() {
    if (flush_posted_ || write_waiting_)
        return;
    flush_posted_ = true;
    asio::post(io_, [self = shared_from_this()] {
        self->flush_posted_ = false;
        self->flush();
    });
}

void UdpBatchSocket::flush() {
    if (closed_ || write_waiting_)
        return;
    const int fd = socket_.native_handle();
    const std::size_t q = options_.send_queue;
    // Bounded: every round sends or drops at least one datagram, or returns.
    for (std::size_t guard = 0; tx_count_ > 0 && guard <= q; ++guard) {
        const std::size_t k = std::min(tx_count_, tx_msgs_.size());
        for (std::size_t i = 0; i < k; ++i) {
            const std::size_t index = (tx_head_ + i) % q;
            tx_iov_[i].iov_base = tx_buffer_.data() + index * options_.max_datagram;
            tx_iov_[i].iov_len = tx_size_[index];
            msghdr& h = tx_msgs_[i].msg_hdr;
            std::memset(&h, 0, sizeof(h));
            h.msg_name = &tx_addr_[index];
            h.msg_namelen = tx_addr_len_[index];
            h.msg_iov = &tx_iov_[i];
            h.msg_iovlen = 1;
        }
        const int n = ::sendmmsg(fd, tx_msgs_.data(), static_cast<unsigned>(k), MSG_DONTWAIT);
        if (n < 0) {
            const int err = errno;
            if (would_block(err)) {
                arm_write();
                return;
            }
            if (err == EINTR)
                continue;
            // The first datagram was refused (e.g. ENETUNREACH, EAFNOSUPPORT): drop it.
            send_errors_.add(1);
            tx_head_ = (tx_head_ + 1) % q;
            --tx_count_;
            continue;
        }
        uint64_t bytes = 0;
        for (int i = 0; i < n; ++i)
            bytes += tx_iov_[i].iov_len;
        datagrams_sent_.add(static_cast<uint64_t>(n));
        bytes_sent_.add(bytes);
        tx_head_ = (tx_head_ + static_cast<std::size_t>(n)) % q;
        tx_count_ -= static_cast<std::size_t>(n);
    }
    if (tx_count_ == 0)
        tx_head_ = 0;
}

void UdpBatchSocket::arm_write() {
    write_waiting_ = true;
    socket_.async_wait(asio::socket_base::wait_write,
                       [self = shared_from_this()](const std::error_code& ec) {
                           self->write_waiting_ = false;
                           if (ec == asio::error::operation_aborted || self->closed_)
                               return;
                           self->flush();
                       });
}

void UdpBatchSocket::close() {
    if (closed_)
        return;
    closed_ = true;
    send_dropped_.add(tx_count_);
    tx_count_ = 0;
    std::error_code ec;
    socket_.close(ec);
}

UdpSocketStats UdpBatchSocket::stats() const {
    UdpSocketStats s;
    s.datagrams_received = datagrams_received_.get();
    s.bytes_received = bytes_received_.get();
    s.datagrams_sent = datagrams_sent_.get();
    s.bytes_sent = bytes_sent_.get();
    s.truncated = truncated_.get();
    s.receive_errors = receive_errors_.get();
    s.send_errors = send_errors_.get();
    s.send_dropped = send_dropped_.get();
    return s;
}

} // namespace rtc::net

#include "net/udp_batch_socket.hpp"

#include "net/socket_address.hpp"

#include <asio/ip/v6_only.hpp>
#include <asio/post.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/udp.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103 // linux/udp.h, Linux 4.18
#endif

namespace rtc::net {

namespace {
// recvmmsg rounds per readiness event before yielding to other handlers on the thread.
constexpr int kMaxReadRounds = 8;

bool would_block(int err) {
    return err == EAGAIN || err == EWOULDBLOCK;
}

// GSO refusals that lower the segment size before GSO is given up for the socket.
constexpr uint8_t kMaxGsoRefusals = 8;

bool same_destination(const OutDatagram& a, const OutDatagram& b) {
    return a.to == b.to ||
           (a.to_length == b.to_length && std::memcmp(a.to, b.to, a.to_length) == 0);
}
} // namespace

bool GsoState::refused(int err, uint32_t segment) {
    switch (err) {
    case EIO:         // the device cannot checksum the segments
    case ENOPROTOOPT: // a kernel without UDP_SEGMENT
    case EOPNOTSUPP:
        enabled = false;
        return true;
    case EINVAL:   // segment plus headers above the route's MTU, or too many segments
    case EMSGSIZE: // the whole above the IP limit
        if (++refusals > kMaxGsoRefusals || segment <= 1)
            enabled = false;
        else
            max_segment = std::min(max_segment, segment - 1);
        return true;
    default:
        return false;
    }
}

std::size_t gso_run_length(std::span<const OutDatagram> datagrams, const GsoState& gso) {
    if (datagrams.size() < 2 || !gso.enabled)
        return std::min<std::size_t>(datagrams.size(), 1);
    const auto& first = datagrams[0];
    const std::size_t segment = first.data.size();
    if (segment == 0 || segment >= gso.max_segment)
        return 1;
    std::size_t n = 1, total = segment;
    while (n < datagrams.size() && n < kGsoMaxSegments) {
        const auto& next = datagrams[n];
        const std::size_t size = next.data.size();
        if (size == 0 || size > segment || total + size > kGsoMaxBytes ||
            !same_destination(first, next))
            break;
        total += size;
        ++n;
        if (size < segment) // a shorter segment can only be the last one
            break;
    }
    return n;
}

SendBatch::SendBatch(std::size_t capacity, SendmmsgFunction function)
    : function_(function ? function : &::sendmmsg) {
    capacity = std::clamp<std::size_t>(capacity, 1, 1024); // UIO_MAXIOV
    messages_.resize(capacity);
    iov_.resize(capacity);
    control_.resize(capacity);
    segments_.resize(capacity);
}

std::size_t SendBatch::build(std::span<const OutDatagram> datagrams, const GsoState& gso) {
    std::size_t m = 0, d = 0;
    while (d < datagrams.size() && m < messages_.size()) {
        const std::size_t run = gso_run_length(datagrams.subspan(d), gso);
        for (std::size_t i = 0; i < run; ++i)
            iov_[d + i] = {const_cast<uint8_t*>(datagrams[d + i].data.data()),
                           datagrams[d + i].data.size()};
        msghdr& h = messages_[m].msg_hdr;
        h = {};
        h.msg_name = const_cast<sockaddr_storage*>(datagrams[d].to);
        h.msg_namelen = datagrams[d].to_length;
        h.msg_iov = &iov_[d];
        h.msg_iovlen = run;
        if (run > 1) {
            // Linux UDP GSO (udp(7), UDP_SEGMENT): the kernel cuts the payload into segments
            // of this size, each sent as its own datagram with its own UDP header.
            h.msg_control = control_[m].bytes;
            h.msg_controllen = sizeof(control_[m].bytes);
            cmsghdr* c = CMSG_FIRSTHDR(&h);
            c->cmsg_level = SOL_UDP;
            c->cmsg_type = UDP_SEGMENT;
            c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
            const auto segment = static_cast<uint16_t>(datagrams[d].data.size());
            std::memcpy(CMSG_DATA(c), &segment, sizeof(segment));
        }
        messages_[m].msg_len = 0;
        segments_[m] = static_cast<uint32_t>(run);
        d += run;
        ++m;
    }
    return m;
}

SendBatch::Outcome SendBatch::send(int fd, std::span<const OutDatagram> datagrams, GsoState& gso) {
    Outcome out;
    datagrams = datagrams.first(std::min(datagrams.size(), messages_.size()));
    std::size_t done = 0;
    // Bounded: each round sends or drops a datagram, or turns GSO down (finitely often).
    for (std::size_t round = 0; done < datagrams.size() && round < datagrams.size() + 16; ++round) {
        const auto rest = datagrams.subspan(done);
        const std::size_t count = build(rest, gso);
        const int n = function_(fd, messages_.data(), static_cast<unsigned>(count), MSG_DONTWAIT);
        if (n < 0) {
            const int err = errno;
            if (would_block(err)) {
                out.blocked = true;
                break;
            }
            if (err == EINTR)
                continue;
            const uint32_t run = segments_[0];
            if (run > 1 && gso.refused(err, static_cast<uint32_t>(rest[0].data.size())))
                continue; // the same datagrams again, as plain ones or smaller runs
            // The first message was refused (ENETUNREACH, EAFNOSUPPORT...): drop it. A GSO
            // run has one destination, which would refuse its other segments alike.
            out.refused += run;
            done += run;
            continue;
        }
        std::size_t taken = 0;
        for (int i = 0; i < n; ++i)
            for (uint32_t k = 0; k < segments_[i]; ++k)
                out.bytes += rest[taken++].data.size();
        out.sent += taken;
        done += taken;
    }
    return out;
}

struct UdpBatchSocket::Private {};

UdpBatchSocket::UdpBatchSocket(asio::io_context& io, const UdpBatchOptions& options, Private)
    : io_(io), socket_(io), options_(options),
      tx_batch_(std::max<std::size_t>(options.send_queue, 1), options.send_function) {
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
    tx_list_.resize(tx_batch_.capacity());
    gso_.enabled = options_.gso;
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
    if (!in_handler_ && !deferred_)
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
    deferred_ = false;
    if (closed_ || write_waiting_)
        return;
    const int fd = socket_.native_handle();
    const std::size_t q = options_.send_queue;
    // Bounded: every round sends or drops at least one datagram, or returns.
    for (std::size_t guard = 0; tx_count_ > 0 && guard <= q; ++guard) {
        const std::size_t k = std::min(tx_count_, tx_list_.size());
        for (std::size_t i = 0; i < k; ++i) {
            const std::size_t index = (tx_head_ + i) % q;
            tx_list_[i] = {{tx_buffer_.data() + index * options_.max_datagram, tx_size_[index]},
                           &tx_addr_[index],
                           tx_addr_len_[index]};
        }
        const auto r = tx_batch_.send(fd, std::span<const OutDatagram>(tx_list_.data(), k), gso_);
        datagrams_sent_.add(r.sent);
        bytes_sent_.add(r.bytes);
        send_errors_.add(r.refused);
        const std::size_t done = r.sent + r.refused;
        tx_head_ = (tx_head_ + done) % q;
        tx_count_ -= done;
        if (r.blocked) {
            arm_write();
            return;
        }
        if (done == 0) { // interrupted again and again: try later
            schedule_flush();
            return;
        }
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

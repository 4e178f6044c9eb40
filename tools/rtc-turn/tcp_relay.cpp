#include "tcp_relay.hpp"

#include "net/socket_address.hpp"

#include <asio/ip/v6_only.hpp>
#include <asio/post.hpp>

#include <unistd.h>

namespace rtc::turn_tool {

namespace {
constexpr int kBindAttempts = 64;       // random ports tried for a listener
constexpr int kBacklog = 16;            // a relay expects few peers at once
constexpr std::size_t kReadSize = 4096; // bytes per read while pending
} // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = other.release();
    }
    return *this;
}

UniqueFd::~UniqueFd() {
    if (fd_ >= 0)
        ::close(fd_);
}

int UniqueFd::release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
}

struct TcpRelays::ListenSocket {
    ListenSocket(asio::io_context& io, turn::RelayId id) : acceptor(io), id(id) {}
    asio::ip::tcp::acceptor acceptor;
    turn::RelayId id;
    util::Endpoint local;
    bool closed = false;
};

struct TcpRelays::Link {
    Link(asio::io_context& io, turn::ConnectionId id) : socket(io), id(id) {}
    asio::ip::tcp::socket socket;
    turn::ConnectionId id;
    std::vector<uint8_t> buffered;
    bool pending = false; // connected and reading until the bind
    bool reading = false;
    bool gone = false; // closed or taken: handlers still queued must do nothing
};

TcpRelays::TcpRelays(asio::io_context& io, uint16_t min_port, uint16_t max_port,
                     Callbacks callbacks)
    : io_(io), min_port_(min_port), max_port_(max_port), callbacks_(std::move(callbacks)),
      rng_(std::random_device{}()) {}

TcpRelays::~TcpRelays() {
    close_all();
}

std::optional<TcpRelays::Listener> TcpRelays::listen(const util::IpAddress& address,
                                                     std::error_code& ec) {
    std::uniform_int_distribution<uint32_t> pick(min_port_, max_port_);
    turn::RelayId id = kTcpRelayBit | next_id_;
    auto l = std::make_shared<ListenSocket>(io_, id);
    for (int attempt = 0; attempt < kBindAttempts; ++attempt) {
        ec.clear();
        auto endpoint = net::to_tcp({address, static_cast<uint16_t>(pick(rng_))});
        l->acceptor.open(endpoint.protocol(), ec);
        if (ec)
            return std::nullopt;
        if (endpoint.address().is_v6())
            l->acceptor.set_option(asio::ip::v6_only(true), ec);
        // SO_REUSEADDR only (not SO_REUSEPORT): a port held by another relay stays refused.
        if (!ec)
            l->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
        if (!ec)
            l->acceptor.bind(endpoint, ec);
        if (!ec)
            l->acceptor.listen(kBacklog, ec);
        if (!ec)
            break;
        std::error_code ignored;
        l->acceptor.close(ignored);
    }
    if (ec)
        return std::nullopt;
    l->local = net::from_asio(l->acceptor.local_endpoint(ec));
    if (ec)
        return std::nullopt;
    next_id_ = (next_id_ + 1) & ~kTcpRelayBit;
    if (next_id_ == 0)
        next_id_ = 1;
    listeners_[id] = l;
    accept(l);
    return Listener{id, l->local};
}

void TcpRelays::accept(const std::shared_ptr<ListenSocket>& l) {
    l->acceptor.async_accept([this, l](const std::error_code& ec, asio::ip::tcp::socket socket) {
        if (l->closed)
            return;
        if (ec) {
            if (ec == asio::error::operation_aborted)
                return;
            accept(l); // EMFILE and the like: keep the listener, drop this one
            return;
        }
        std::error_code peer_ec;
        auto remote = socket.remote_endpoint(peer_ec);
        turn::ConnectionId id = peer_ec ? 0 : callbacks_.accepted(l->id, net::from_asio(remote));
        if (id != 0) {
            // RFC 6062 §5.3: keep it, reading nothing to the client until the bind.
            auto link = std::make_shared<Link>(io_, id);
            link->socket = std::move(socket);
            link->pending = true;
            links_[id] = link;
            read(link);
        }
        accept(l); // a refused socket closes as it goes out of scope
    });
}

void TcpRelays::close_listener(turn::RelayId id) {
    auto it = listeners_.find(id);
    if (it == listeners_.end())
        return;
    it->second->closed = true;
    std::error_code ignored;
    it->second->acceptor.close(ignored);
    listeners_.erase(it);
}

void TcpRelays::connect(turn::ConnectionId id, turn::RelayId relay, const util::Endpoint& peer) {
    auto link = std::make_shared<Link>(io_, id);
    links_[id] = link;
    auto to = net::to_tcp(peer);
    std::error_code ec;
    link->socket.open(to.protocol(), ec);
    // RFC 6062 §5.2: the connection starts from the relayed address (its IP; the port is the
    // kernel's, since the listener holds the relayed port without SO_REUSEPORT).
    if (auto l = listeners_.find(relay); !ec && l != listeners_.end()) {
        link->socket.set_option(asio::socket_base::reuse_address(true), ec);
        if (!ec)
            link->socket.bind(net::to_tcp({l->second->local.address, 0}), ec);
    }
    if (ec) {
        asio::post(io_, [this, link] {
            if (link->gone)
                return;
            drop(link->id, false);
            callbacks_.connected(link->id, false);
        });
        return;
    }
    link->socket.async_connect(to, [this, link](const std::error_code& error) {
        if (link->gone)
            return;
        if (error) {
            drop(link->id, false);
            callbacks_.connected(link->id, false);
            return;
        }
        if (!callbacks_.connected(link->id, true)) {
            drop(link->id, false);
            return;
        }
        link->pending = true;
        read(link);
    });
}

void TcpRelays::read(const std::shared_ptr<Link>& link) {
    if (link->reading || link->gone || link->buffered.size() >= kMaxPendingBytes)
        return; // a full buffer pauses reading: TCP flow control holds the peer back
    // Wait for readability, then read without blocking: no read is ever in flight holding a
    // buffer, so take() can hand the socket over at any moment.
    link->reading = true;
    link->socket.async_wait(asio::socket_base::wait_read, [this, link](const std::error_code& ec) {
        link->reading = false;
        if (link->gone)
            return;
        if (ec) {
            drop(link->id, true);
            return;
        }
        std::size_t old = link->buffered.size();
        std::size_t room = std::min(kReadSize, kMaxPendingBytes - old);
        link->buffered.resize(old + room);
        std::error_code read_ec;
        link->socket.non_blocking(true, read_ec);
        std::size_t n =
            read_ec
                ? 0
                : link->socket.read_some(asio::buffer(link->buffered.data() + old, room), read_ec);
        link->buffered.resize(old + n);
        if (read_ec && read_ec != asio::error::would_block && read_ec != asio::error::try_again) {
            drop(link->id, true); // the peer left (or failed) before the bind
            return;
        }
        read(link);
    });
}

void TcpRelays::drop(turn::ConnectionId id, bool notify) {
    auto it = links_.find(id);
    if (it == links_.end())
        return;
    auto link = it->second;
    links_.erase(it);
    link->gone = true;
    std::error_code ignored;
    link->socket.close(ignored);
    if (notify)
        callbacks_.closed(id);
}

bool TcpRelays::close(turn::ConnectionId id) {
    if (!links_.count(id))
        return false;
    drop(id, false);
    return true;
}

std::optional<TcpHandoff> TcpRelays::take(turn::ConnectionId id) {
    auto it = links_.find(id);
    if (it == links_.end() || !it->second->pending)
        return std::nullopt;
    auto link = it->second;
    links_.erase(it);
    link->gone = true;
    TcpHandoff h;
    std::error_code ec;
    h.fd = UniqueFd(link->socket.release(ec)); // cancels the pending wait
    if (ec)
        return std::nullopt;
    h.buffered = std::move(link->buffered);
    return h;
}

void TcpRelays::close_all() {
    for (auto& [id, l] : listeners_) {
        l->closed = true;
        std::error_code ignored;
        l->acceptor.close(ignored);
    }
    listeners_.clear();
    while (!links_.empty())
        drop(links_.begin()->first, false);
}

} // namespace rtc::turn_tool

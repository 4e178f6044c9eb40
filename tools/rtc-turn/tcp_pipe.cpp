#include "tcp_pipe.hpp"

#include <asio/write.hpp>

namespace rtc::turn_tool {

TcpPipe::TcpPipe(asio::io_context& io, turn::ConnectionId id, net::StreamConnection& client,
                 Closed on_closed)
    : socket_(io), id_(id), client_(&client), on_closed_(std::move(on_closed)), rx_(kReadSize),
      last_activity_(std::chrono::steady_clock::now()) {}

std::shared_ptr<TcpPipe> TcpPipe::start(asio::io_context& io, turn::ConnectionId id,
                                        TcpHandoff handoff, net::StreamConnection& client,
                                        Closed on_closed) {
    auto pipe = std::make_shared<TcpPipe>(io, id, client, std::move(on_closed));
    sockaddr_storage ss{};
    socklen_t length = sizeof ss;
    if (::getsockname(handoff.fd.get(), reinterpret_cast<sockaddr*>(&ss), &length) != 0)
        return nullptr;
    auto protocol = ss.ss_family == AF_INET6 ? asio::ip::tcp::v6() : asio::ip::tcp::v4();
    std::error_code ec;
    pipe->socket_.assign(protocol, handoff.fd.get(), ec);
    if (ec)
        return nullptr;
    handoff.fd.release(); // the socket owns it now
    // RFC 6062 §5.3: data the peer sent before the bind is delivered first.
    if (!handoff.buffered.empty() && !client.write(handoff.buffered)) {
        pipe->close(false);
        return nullptr;
    }
    pipe->read_peer();
    return pipe;
}

void TcpPipe::read_peer() {
    socket_.async_read_some(
        asio::buffer(rx_), [self = shared_from_this()](const std::error_code& ec, std::size_t n) {
            if (self->closed_)
                return;
            if (ec || !self->client_ || !self->client_->write({self->rx_.data(), n})) {
                self->close(true);
                return;
            }
            self->last_activity_ = std::chrono::steady_clock::now();
            self->read_peer();
        });
}

void TcpPipe::to_peer(std::span<const uint8_t> data) {
    if (closed_)
        return;
    if (queue_.size() + data.size() > kMaxQueuedBytes) {
        close(true); // the peer does not keep up: stop rather than buffer without bound
        return;
    }
    queue_.insert(queue_.end(), data.begin(), data.end());
    last_activity_ = std::chrono::steady_clock::now();
    write_peer();
}

void TcpPipe::write_peer() {
    if (writing_ || queue_.empty())
        return;
    sending_.swap(queue_);
    queue_.clear();
    writing_ = true;
    asio::async_write(socket_, asio::buffer(sending_),
                      [self = shared_from_this()](const std::error_code& ec, std::size_t) {
                          self->writing_ = false;
                          self->sending_.clear();
                          if (self->closed_)
                              return;
                          if (ec) {
                              self->close(true);
                              return;
                          }
                          if (!self->client_ && self->queue_.empty()) {
                              self->close(true); // client gone, its last bytes written
                              return;
                          }
                          self->write_peer();
                      });
}

void TcpPipe::close(bool notify) {
    if (!notify)
        notified_ = true; // the caller knows: no report now or later
    if (!closed_) {
        closed_ = true;
        std::error_code ignored;
        socket_.shutdown(asio::socket_base::shutdown_both, ignored);
        socket_.close(ignored);
        if (client_) {
            auto* client = client_;
            client_ = nullptr;
            client->close();
        }
    }
    if (notify && !notified_) {
        notified_ = true;
        if (on_closed_)
            on_closed_(id_);
    }
}

void TcpPipe::client_gone() {
    client_ = nullptr;
    if (!writing_ && queue_.empty())
        close(true);
}

} // namespace rtc::turn_tool

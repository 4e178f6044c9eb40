#include "turn_connection.hpp"

#include "net/socket_address.hpp"
#include "stun/framing.hpp"
#include "tls/engine.hpp"

#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <asio/write.hpp>

#include <array>
#include <vector>

namespace rtc::probe_tool {

namespace {

using probe::Clock;

class UdpConnection final : public TurnConnection {
public:
    UdpConnection(asio::io_context& io, FrameHandler on_frame)
        : socket_(io), on_frame_(std::move(on_frame)) {}

    void start(const util::Endpoint& server) {
        std::error_code ec;
        const auto remote = net::to_udp(server);
        socket_.open(remote.protocol(), ec);
        if (!ec)
            socket_.connect(remote, ec);
        if (ec)
            return fail("cannot open a UDP socket: " + ec.message());
        receive();
    }

    bool ready() const override { return !failed_; }
    bool failed() const override { return failed_; }
    const std::string& error() const override { return error_; }
    bool tls_failed() const override { return false; }
    util::Endpoint local() const override {
        std::error_code ec;
        return net::from_asio(socket_.local_endpoint(ec));
    }
    void send(std::span<const uint8_t> frame) override {
        std::error_code ec;
        if (!failed_)
            socket_.send(asio::buffer(frame.data(), frame.size()), 0, ec);
    }
    void close() override {
        std::error_code ignored;
        socket_.close(ignored);
    }

private:
    void fail(std::string why) {
        if (failed_)
            return;
        failed_ = true;
        error_ = std::move(why);
        close();
    }

    void receive() {
        socket_.async_receive(
            asio::buffer(buffer_), [this](const std::error_code& ec, std::size_t n) {
                if (failed_ || ec == asio::error::operation_aborted)
                    return;
                if (ec == asio::error::connection_refused)
                    return fail("port unreachable (ICMP): nothing listens there over UDP");
                if (!ec)
                    on_frame_(std::span<const uint8_t>(buffer_.data(), n));
                if (!failed_)
                    receive();
            });
    }

    asio::ip::udp::socket socket_;
    FrameHandler on_frame_;
    std::array<uint8_t, 2048> buffer_{};
    bool failed_ = false;
    std::string error_;
};

// TCP or TLS over TCP: STUN messages and padded ChannelData follow each other on the stream.
class StreamConnection final : public TurnConnection {
public:
    StreamConnection(asio::io_context& io, std::shared_ptr<const tls::Context> tls,
                     FrameHandler on_frame)
        : socket_(io), tls_context_(std::move(tls)), on_frame_(std::move(on_frame)) {}

    void start(const util::Endpoint& server, const std::string& server_name) {
        socket_.async_connect(net::to_tcp(server), [this, server_name](const std::error_code& ec) {
            if (failed_ || ec == asio::error::operation_aborted)
                return;
            if (ec)
                return fail("cannot connect: " + ec.message());
            if (tls_context_) {
                tls_ = std::make_unique<tls::Engine>(tls_context_);
                tls_->set_server_name(server_name);
                tls_->start(Clock::now());
                if (!flush_tls())
                    return;
            } else {
                ready_ = true;
            }
            receive();
        });
    }

    bool ready() const override { return ready_ && !failed_; }
    bool failed() const override { return failed_; }
    const std::string& error() const override { return error_; }
    bool tls_failed() const override { return tls_failed_; }
    util::Endpoint local() const override {
        std::error_code ec;
        return net::from_asio(socket_.local_endpoint(ec));
    }
    void send(std::span<const uint8_t> frame) override {
        if (!ready())
            return;
        if (tls_) {
            tls_->write(frame);
            flush_tls();
        } else {
            write(frame);
        }
    }
    void close() override {
        std::error_code ignored;
        socket_.close(ignored);
    }

private:
    void fail(std::string why) {
        if (failed_)
            return;
        failed_ = true;
        error_ = std::move(why);
        close();
    }

    void write(std::span<const uint8_t> bytes) {
        std::error_code ec;
        asio::write(socket_, asio::buffer(bytes.data(), bytes.size()), ec);
        if (ec)
            fail("send failed: " + ec.message());
    }

    bool flush_tls() {
        for (auto out = tls_->pending_output(); !out.empty() && !failed_;
             out = tls_->pending_output()) {
            write(out);
            tls_->consume_output();
        }
        if (tls_->state() == tls::EngineState::Failed) {
            tls_failed_ = !ready_;
            fail("TLS handshake failed: " + tls_->error());
        }
        return !failed_;
    }

    void receive() {
        socket_.async_read_some(
            asio::buffer(chunk_), [this](const std::error_code& ec, std::size_t n) {
                if (failed_ || ec == asio::error::operation_aborted)
                    return;
                if (ec) {
                    if (tls_ && !ready_)
                        tls_failed_ = true;
                    return fail(ec == asio::error::eof ? "the server closed the connection"
                                                       : "receive failed: " + ec.message());
                }
                on_bytes(std::span<const uint8_t>(chunk_.data(), n));
                if (!failed_)
                    receive();
            });
    }

    void on_bytes(std::span<const uint8_t> bytes) {
        if (!tls_) {
            stream_.insert(stream_.end(), bytes.begin(), bytes.end());
            return frames();
        }
        tls_->feed(bytes, Clock::now());
        if (!flush_tls())
            return;
        if (tls_->is_open())
            ready_ = true;
        for (auto plain = tls_->pending_plaintext(); !plain.empty() && !failed_;
             plain = tls_->pending_plaintext()) {
            stream_.insert(stream_.end(), plain.begin(), plain.end());
            tls_->consume_plaintext(plain.size());
        }
        frames();
    }

    // RFC 8489 §6.2.2 and RFC 8656 §12.5: each frame's own header says how long it is.
    void frames() {
        while (!failed_) {
            auto length = stun::stream_frame_length(stream_);
            if (!length)
                return;
            if (*length == stun::kInvalidFrame)
                return fail("the server sent something that is neither STUN nor ChannelData");
            if (stream_.size() < *length)
                return;
            on_frame_(std::span<const uint8_t>(stream_.data(), *length));
            stream_.erase(stream_.begin(), stream_.begin() + static_cast<std::ptrdiff_t>(*length));
        }
    }

    asio::ip::tcp::socket socket_;
    std::shared_ptr<const tls::Context> tls_context_;
    FrameHandler on_frame_;
    std::unique_ptr<tls::Engine> tls_;
    std::array<uint8_t, 4096> chunk_{};
    std::vector<uint8_t> stream_;
    bool ready_ = false;
    bool failed_ = false;
    bool tls_failed_ = false;
    std::string error_;
};

} // namespace

std::unique_ptr<TurnConnection> TurnConnection::open(asio::io_context& io, TurnTransport transport,
                                                     const util::Endpoint& server,
                                                     std::shared_ptr<const tls::Context> tls,
                                                     const std::string& server_name,
                                                     FrameHandler on_frame) {
    if (transport == TurnTransport::Udp) {
        auto c = std::make_unique<UdpConnection>(io, std::move(on_frame));
        c->start(server);
        return c;
    }
    auto c = std::make_unique<StreamConnection>(
        io, transport == TurnTransport::Tls ? std::move(tls) : nullptr, std::move(on_frame));
    c->start(server, server_name);
    return c;
}

} // namespace rtc::probe_tool

#include "stun_check.hpp"

#include "crypto/random.hpp"
#include "net/socket_address.hpp"
#include "stun/framing.hpp"
#include "tls/engine.hpp"

#include <asio/connect.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include <array>
#include <vector>

namespace rtc::probe_tool {

namespace {

using probe::Clock;

std::string seconds(std::chrono::milliseconds d) {
    const auto ms = d.count();
    return ms % 1000 == 0 ? std::to_string(ms / 1000) + "s" : std::to_string(ms) + "ms";
}

stun::TransactionId new_id() {
    stun::TransactionId id{};
    crypto::random_bytes(id);
    return id;
}

class CheckBase : public StunCheck {
protected:
    CheckBase(asio::io_context& io, StunResult result, const StunCheckSettings& settings,
              std::function<void(StunResult)> done)
        : timer_(io), result_(std::move(result)), settings_(settings), done_(std::move(done)) {}

    void finish(std::string error = {}) {
        if (finished_)
            return;
        finished_ = true;
        timer_.cancel();
        close();
        if (client_) {
            result_.requests = client_->requests_sent();
            result_.retransmissions = client_->retransmissions();
            result_.answer = client_->answer();
            result_.rtt = std::chrono::duration_cast<std::chrono::microseconds>(client_->rtt());
            if (error.empty() && result_.answer && !result_.answer->success) {
                error = "error response " + std::to_string(result_.answer->error_code);
                if (!result_.answer->error_reason.empty())
                    error += " " + result_.answer->error_reason;
            }
        }
        result_.error = std::move(error);
        done_(std::move(result_));
    }

    void no_answer() {
        finish("no answer within " + seconds(settings_.timeout) + " (" +
               std::to_string(client_ ? client_->requests_sent() : 0) + " requests sent)");
    }

    // A received message; finishes the check when it answers the transaction.
    void deliver(std::span<const uint8_t> message) {
        if (client_ && client_->on_message(message, Clock::now()))
            finish();
    }

    virtual void close() = 0;

    asio::steady_timer timer_;
    StunResult result_;
    StunCheckSettings settings_;
    std::function<void(StunResult)> done_;
    std::optional<probe::BindingClient> client_;
    bool finished_ = false;
};

// UDP: a connected socket (ICMP port unreachable ends the check at once), RFC 8489 §6.2.1
// retransmissions.
class UdpCheck final : public CheckBase {
public:
    UdpCheck(asio::io_context& io, StunResult result, const StunCheckSettings& settings,
             std::function<void(StunResult)> done)
        : CheckBase(io, std::move(result), settings, std::move(done)), socket_(io) {}

    void start() {
        std::error_code ec;
        const auto remote = net::to_udp(*result_.server);
        socket_.open(remote.protocol(), ec);
        if (!ec)
            socket_.connect(remote, ec);
        if (!ec)
            result_.local = net::from_asio(socket_.local_endpoint(ec));
        if (ec)
            return finish("cannot open a UDP socket: " + ec.message());
        client_.emplace(new_id(), probe::policy_for_timeout(settings_.timeout, false),
                        settings_.software, Clock::now());
        receive();
        tick();
    }

private:
    void tick() {
        const auto now = Clock::now();
        if (client_->timed_out(now))
            return no_answer();
        if (auto bytes = client_->poll(now); !bytes.empty()) {
            std::error_code ec;
            socket_.send(asio::buffer(bytes.data(), bytes.size()), 0, ec);
        }
        if (auto deadline = client_->next_deadline()) {
            timer_.expires_at(*deadline);
            timer_.async_wait([this](const std::error_code& ec) {
                if (!ec && !finished_)
                    tick();
            });
        }
    }

    void receive() {
        socket_.async_receive(asio::buffer(buffer_),
                              [this](const std::error_code& ec, std::size_t n) {
                                  if (finished_ || ec == asio::error::operation_aborted)
                                      return;
                                  if (ec == asio::error::connection_refused)
                                      return finish("port unreachable (ICMP): nothing listens on " +
                                                    result_.server->to_string());
                                  if (!ec)
                                      deliver(std::span<const uint8_t>(buffer_.data(), n));
                                  if (!finished_)
                                      receive();
                              });
    }

    void close() override {
        std::error_code ignored;
        socket_.close(ignored);
    }

    asio::ip::udp::socket socket_;
    std::array<uint8_t, 2048> buffer_{};
};

// TCP or TLS over TCP: one request, wait for the answer (RFC 8489 §6.2.2), STUN framing on
// the byte stream; connect, handshake and answer together within the timeout.
class StreamCheck final : public CheckBase {
public:
    StreamCheck(asio::io_context& io, StunResult result, const StunCheckSettings& settings,
                std::function<void(StunResult)> done)
        : CheckBase(io, std::move(result), settings, std::move(done)), socket_(io) {}

    void start() {
        start_ = Clock::now();
        timer_.expires_at(start_ + settings_.timeout);
        timer_.async_wait([this](const std::error_code& ec) {
            if (ec || finished_)
                return;
            if (!connected_)
                return finish("cannot connect within " + seconds(settings_.timeout));
            if (tls_ && !tls_->is_open())
                return finish("TLS handshake not done within " + seconds(settings_.timeout));
            no_answer();
        });
        socket_.async_connect(net::to_tcp(*result_.server), [this](const std::error_code& ec) {
            if (finished_ || ec == asio::error::operation_aborted)
                return;
            if (ec)
                return finish("cannot connect: " + ec.message());
            connected_ = true;
            std::error_code ignored;
            result_.local = net::from_asio(socket_.local_endpoint(ignored));
            if (settings_.tls) {
                tls_ = std::make_unique<tls::Engine>(settings_.tls);
                tls_->set_server_name(result_.url->host);
                tls_->start(Clock::now());
                if (!flush_tls())
                    return;
            } else {
                send_request();
            }
            receive();
        });
    }

private:
    void send_request() {
        auto policy = probe::policy_for_timeout(settings_.timeout, true);
        policy.bound = std::chrono::duration_cast<std::chrono::milliseconds>(
            start_ + settings_.timeout - Clock::now());
        client_.emplace(new_id(), policy, settings_.software, Clock::now());
        auto bytes = client_->poll(Clock::now());
        if (tls_) {
            tls_->write(bytes);
            flush_tls();
        } else {
            write(bytes);
        }
    }

    void write(std::span<const uint8_t> bytes) {
        std::error_code ec;
        asio::write(socket_, asio::buffer(bytes.data(), bytes.size()), ec);
        if (ec)
            finish("send failed: " + ec.message());
    }

    // Sends what the TLS engine produced; false when the check ended.
    bool flush_tls() {
        for (auto out = tls_->pending_output(); !out.empty() && !finished_;
             out = tls_->pending_output()) {
            write(out);
            tls_->consume_output();
        }
        if (tls_->state() == tls::EngineState::Failed)
            finish("TLS handshake failed: " + tls_->error());
        return !finished_;
    }

    void receive() {
        socket_.async_read_some(
            asio::buffer(chunk_), [this](const std::error_code& ec, std::size_t n) {
                if (finished_ || ec == asio::error::operation_aborted)
                    return;
                if (ec)
                    return finish(ec == asio::error::eof ? "the server closed the connection"
                                                         : "receive failed: " + ec.message());
                on_bytes(std::span<const uint8_t>(chunk_.data(), n));
                if (!finished_)
                    receive();
            });
    }

    void on_bytes(std::span<const uint8_t> bytes) {
        if (!tls_) {
            stream_.insert(stream_.end(), bytes.begin(), bytes.end());
            return frames();
        }
        const bool was_open = tls_->is_open();
        tls_->feed(bytes, Clock::now());
        if (!flush_tls())
            return;
        if (!was_open && tls_->is_open())
            send_request();
        if (finished_)
            return;
        auto plain = tls_->pending_plaintext();
        stream_.insert(stream_.end(), plain.begin(), plain.end());
        tls_->consume_plaintext(plain.size());
        frames();
    }

    // RFC 8489 §6.2.2: messages follow each other on the stream; the length field frames them.
    void frames() {
        while (!finished_) {
            auto length = stun::stream_frame_length(stream_);
            if (!length)
                return;
            if (*length == stun::kInvalidFrame)
                return finish("the server sent something that is not STUN");
            if (stream_.size() < *length)
                return;
            deliver(std::span<const uint8_t>(stream_.data(), *length));
            stream_.erase(stream_.begin(), stream_.begin() + static_cast<std::ptrdiff_t>(*length));
        }
    }

    void close() override {
        std::error_code ignored;
        socket_.close(ignored);
    }

    asio::ip::tcp::socket socket_;
    std::unique_ptr<tls::Engine> tls_;
    Clock::time_point start_{};
    bool connected_ = false;
    std::array<uint8_t, 4096> chunk_{};
    std::vector<uint8_t> stream_;
};

} // namespace

std::unique_ptr<StunCheck> StunCheck::start(asio::io_context& io, StunResult result,
                                            const StunCheckSettings& settings,
                                            std::function<void(StunResult)> done) {
    if (result.url->transport == probe::UrlTransport::Udp) {
        auto check = std::make_unique<UdpCheck>(io, std::move(result), settings, std::move(done));
        check->start();
        return check;
    }
    auto check = std::make_unique<StreamCheck>(io, std::move(result), settings, std::move(done));
    check->start();
    return check;
}

} // namespace rtc::probe_tool

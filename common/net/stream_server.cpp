#include "net/stream_server.hpp"

#include "net/socket_address.hpp"
#include "tls/context.hpp"
#include "tls/engine.hpp"

#include <asio/dispatch.hpp>
#include <asio/ip/v6_only.hpp>
#include <asio/post.hpp>
#include <asio/write.hpp>

#include <sys/socket.h>
#include <vector>

namespace rtc::net {

namespace {
using Clock = std::chrono::steady_clock;
// How long a graceful close may wait for queued bytes to leave.
constexpr auto kCloseLinger = std::chrono::seconds(5);
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);
} // namespace

class StreamSession final : public StreamConnection,
                            public std::enable_shared_from_this<StreamSession> {
public:
    StreamSession(std::shared_ptr<StreamServer> server, asio::ip::tcp::socket socket)
        : server_(std::move(server)), socket_(std::move(socket)), timer_(socket_.get_executor()),
          options_(server_->options_) {}

    void start();
    void abort() { finish(); }

    bool write(std::span<const uint8_t> data) override;
    void close() override;
    const util::Endpoint& remote() const override { return remote_; }
    const util::Endpoint& local() const override { return local_; }
    bool is_tls() const override { return tls_ != nullptr; }
    std::string_view alpn() const override { return tls_ ? tls_->alpn() : std::string_view(); }

private:
    enum class State { Handshaking, Open, Closing, Closed };

    void read();
    void on_read(const std::error_code& ec, std::size_t n);
    void on_tls_input(std::span<const uint8_t> data);
    void on_plain_input(std::span<const uint8_t> data);
    std::size_t feed_handler(std::span<const uint8_t> data);
    bool make_handler();
    void move_tls_output();
    bool check_output_limit();
    void start_write();
    void on_written(const std::error_code& ec);
    void arm_timer(Clock::time_point deadline);
    void on_timer();
    void finish();

    std::shared_ptr<StreamServer> server_;
    asio::ip::tcp::socket socket_;
    asio::steady_timer timer_;
    const StreamServerOptions& options_;
    util::Endpoint remote_;
    util::Endpoint local_;
    std::unique_ptr<tls::Engine> tls_;
    std::unique_ptr<StreamHandler> handler_;
    std::vector<uint8_t> read_buffer_;
    std::vector<uint8_t> input_;   // plain TCP: bytes the handler has not consumed yet
    std::vector<uint8_t> pending_; // queued for the next write
    std::vector<uint8_t> writing_; // owned by the write in flight
    State state_ = State::Handshaking;
    bool write_active_ = false;
    Clock::time_point last_activity_;
};

void StreamSession::start() {
    std::error_code ec;
    const auto remote = socket_.remote_endpoint(ec);
    const auto local = ec ? decltype(remote){} : socket_.local_endpoint(ec);
    if (ec) { // the peer left before we looked
        finish();
        return;
    }
    remote_ = from_asio(remote);
    local_ = from_asio(local);
    socket_.set_option(asio::ip::tcp::no_delay(true), ec);
    read_buffer_.resize(std::max<std::size_t>(options_.read_size, 512));
    last_activity_ = Clock::now();
    if (options_.tls) {
        tls_ = std::make_unique<tls::Engine>(options_.tls->current());
        state_ = State::Handshaking;
        arm_timer(last_activity_ + options_.handshake_timeout);
    } else {
        state_ = State::Open;
        if (!make_handler())
            return;
        if (options_.idle_timeout.count() > 0)
            arm_timer(last_activity_ + options_.idle_timeout);
    }
    read();
}

bool StreamSession::make_handler() {
    handler_ = server_->factory_ ? server_->factory_(*this) : nullptr;
    if (!handler_) {
        server_->counters_.rejected.fetch_add(1, std::memory_order_relaxed);
        finish();
        return false;
    }
    return true;
}

void StreamSession::read() {
    socket_.async_read_some(asio::buffer(read_buffer_),
                            [self = shared_from_this()](const std::error_code& ec, std::size_t n) {
                                self->on_read(ec, n);
                            });
}

void StreamSession::on_read(const std::error_code& ec, std::size_t n) {
    if (state_ == State::Closed)
        return;
    if (ec) {
        // The peer finished sending (or reset). What we still owe it goes out first if it can.
        if (ec == asio::error::eof && (write_active_ || !pending_.empty())) {
            if (state_ != State::Closing) {
                state_ = State::Closing;
                arm_timer(Clock::now() + kCloseLinger);
            }
            return;
        }
        finish();
        return;
    }
    last_activity_ = Clock::now();
    const std::span<const uint8_t> data(read_buffer_.data(), n);
    if (state_ != State::Closing) {
        if (tls_)
            on_tls_input(data);
        else
            on_plain_input(data);
    }
    if (state_ != State::Closed)
        read();
}

void StreamSession::on_tls_input(std::span<const uint8_t> data) {
    tls_->feed(data, last_activity_);
    move_tls_output();
    if (state_ == State::Closed)
        return;
    if (tls_->state() == tls::EngineState::Failed) {
        if (state_ == State::Handshaking)
            server_->counters_.handshake_failures.fetch_add(1, std::memory_order_relaxed);
        close(); // sends the alert mbedTLS queued, then closes
        return;
    }
    if (state_ == State::Handshaking && tls_->is_open()) {
        state_ = State::Open;
        if (!make_handler())
            return;
        if (options_.idle_timeout.count() > 0)
            arm_timer(last_activity_ + options_.idle_timeout);
        else
            timer_.cancel();
    }
    if (state_ == State::Open) {
        const auto plain = tls_->pending_plaintext();
        if (!plain.empty())
            tls_->consume_plaintext(feed_handler(plain));
        if (state_ == State::Open &&
            tls_->pending_plaintext().size() > options_.max_buffered_bytes) {
            server_->counters_.overflows.fetch_add(1, std::memory_order_relaxed);
            finish();
            return;
        }
    }
    if (state_ == State::Open && tls_->state() == tls::EngineState::Closed) {
        move_tls_output(); // our close_notify answer
        close();
    }
}

void StreamSession::on_plain_input(std::span<const uint8_t> data) {
    if (input_.empty()) {
        // The common case: hand the read buffer over without copying.
        const std::size_t used = feed_handler(data);
        if (state_ == State::Open && used < data.size())
            input_.assign(data.begin() + static_cast<std::ptrdiff_t>(used), data.end());
    } else {
        input_.insert(input_.end(), data.begin(), data.end());
        const std::size_t used = feed_handler(input_);
        input_.erase(input_.begin(), input_.begin() + static_cast<std::ptrdiff_t>(used));
    }
    if (state_ == State::Open && input_.size() > options_.max_buffered_bytes) {
        server_->counters_.overflows.fetch_add(1, std::memory_order_relaxed);
        finish();
    }
}

// Offers the bytes until the handler stops consuming; each round consumes at least one byte.
std::size_t StreamSession::feed_handler(std::span<const uint8_t> data) {
    std::size_t total = 0;
    while (state_ == State::Open && total < data.size()) {
        const std::size_t used =
            std::min(handler_->on_data(data.subspan(total)), data.size() - total);
        if (used == 0)
            break;
        total += used;
    }
    return total;
}

bool StreamSession::write(std::span<const uint8_t> data) {
    if (state_ != State::Open)
        return false;
    if (tls_) {
        if (!tls_->write(data)) {
            finish();
            return false;
        }
        move_tls_output();
    } else {
        pending_.insert(pending_.end(), data.begin(), data.end());
    }
    if (!check_output_limit())
        return false;
    start_write();
    return true;
}

bool StreamSession::check_output_limit() {
    if (pending_.size() + writing_.size() <= options_.max_buffered_bytes)
        return true;
    server_->counters_.overflows.fetch_add(1, std::memory_order_relaxed);
    finish();
    return false;
}

void StreamSession::move_tls_output() {
    for (auto out = tls_->pending_output(); !out.empty(); out = tls_->pending_output()) {
        pending_.insert(pending_.end(), out.begin(), out.end());
        tls_->consume_output();
    }
    if (check_output_limit())
        start_write();
}

void StreamSession::start_write() {
    if (write_active_ || pending_.empty() || state_ == State::Closed)
        return;
    writing_.swap(pending_);
    write_active_ = true;
    asio::async_write(socket_, asio::buffer(writing_),
                      [self = shared_from_this()](const std::error_code& ec, std::size_t) {
                          self->on_written(ec);
                      });
}

void StreamSession::on_written(const std::error_code& ec) {
    write_active_ = false;
    writing_.clear();
    if (state_ == State::Closed)
        return;
    if (ec) {
        finish();
        return;
    }
    last_activity_ = Clock::now();
    if (!pending_.empty()) {
        start_write();
    } else if (state_ == State::Closing) {
        std::error_code ignored;
        socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
        finish();
    }
}

void StreamSession::close() {
    if (state_ == State::Closing || state_ == State::Closed)
        return;
    state_ = State::Closing;
    if (tls_) {
        tls_->close(); // close_notify (RFC 5246 §7.2.1)
        move_tls_output();
        if (state_ == State::Closed)
            return;
    }
    if (!write_active_ && pending_.empty()) {
        std::error_code ignored;
        socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
        finish();
        return;
    }
    arm_timer(Clock::now() + kCloseLinger);
}

void StreamSession::arm_timer(Clock::time_point deadline) {
    timer_.expires_at(deadline);
    timer_.async_wait([weak = weak_from_this()](const std::error_code& ec) {
        if (ec == asio::error::operation_aborted)
            return;
        if (auto self = weak.lock())
            self->on_timer();
    });
}

void StreamSession::on_timer() {
    const auto now = Clock::now();
    switch (state_) {
    case State::Closed:
        return;
    case State::Closing:
        finish();
        return;
    case State::Handshaking:
        server_->counters_.timeouts.fetch_add(1, std::memory_order_relaxed);
        finish();
        return;
    case State::Open:
        if (options_.idle_timeout.count() <= 0)
            return;
        if (now - last_activity_ >= options_.idle_timeout) {
            server_->counters_.timeouts.fetch_add(1, std::memory_order_relaxed);
            finish();
        } else {
            arm_timer(last_activity_ + options_.idle_timeout);
        }
        return;
    }
}

void StreamSession::finish() {
    if (state_ == State::Closed)
        return;
    state_ = State::Closed;
    std::error_code ignored;
    socket_.close(ignored);
    timer_.cancel();
    pending_.clear();
    input_.clear();
    // on_close() is queued before the server learns the session ended, so a stop() completion
    // runs after every handler heard of its close.
    if (handler_)
        asio::post(socket_.get_executor(),
                   [self = shared_from_this()] { self->handler_->on_close(); });
    server_->on_session_end(this);
}

struct StreamServer::Private {};

StreamServer::StreamServer(asio::io_context& io, HandlerFactory factory,
                           StreamServerOptions options, Private)
    : io_(io), acceptor_(io), retry_timer_(io), stop_timer_(io), factory_(std::move(factory)),
      options_(std::move(options)) {}

StreamServer::~StreamServer() = default;

std::shared_ptr<StreamServer> StreamServer::start(asio::io_context& io,
                                                  const util::Endpoint& listen,
                                                  HandlerFactory factory,
                                                  StreamServerOptions options) {
    auto server =
        std::make_shared<StreamServer>(io, std::move(factory), std::move(options), Private{});
    server->open(listen);
    server->accept();
    return server;
}

void StreamServer::open(const util::Endpoint& listen) {
    const auto endpoint = to_tcp(listen);
    std::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec)
        acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    const int one = 1;
    if (!ec && options_.reuse_port &&
        ::setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0)
        ec = std::error_code(errno, std::system_category());
    if (!ec && listen.address.is_v6())
        acceptor_.set_option(asio::ip::v6_only(true), ec);
    if (!ec)
        acceptor_.bind(endpoint, ec);
    if (!ec)
        acceptor_.listen(options_.backlog, ec);
    if (ec)
        throw std::system_error(ec, "cannot listen on tcp://" + listen.to_string());
    local_ = from_asio(acceptor_.local_endpoint());
}

void StreamServer::accept() {
    acceptor_.async_accept(
        [self = shared_from_this()](const std::error_code& ec, asio::ip::tcp::socket socket) {
            if (self->stopping_ || ec == asio::error::operation_aborted)
                return;
            if (ec) {
                // E.g. EMFILE: retry shortly rather than spin.
                self->counters_.accept_errors.fetch_add(1, std::memory_order_relaxed);
                self->retry_timer_.expires_after(kAcceptRetry);
                self->retry_timer_.async_wait([self](const std::error_code& e) {
                    if (!e && !self->stopping_)
                        self->accept();
                });
                return;
            }
            self->on_accept(std::move(socket));
            self->accept();
        });
}

void StreamServer::on_accept(asio::ip::tcp::socket socket) {
    if (sessions_.size() >= options_.max_connections) {
        counters_.rejected.fetch_add(1, std::memory_order_relaxed);
        std::error_code ignored;
        socket.close(ignored);
        return;
    }
    counters_.accepted.fetch_add(1, std::memory_order_relaxed);
    auto session = std::make_shared<StreamSession>(shared_from_this(), std::move(socket));
    sessions_.emplace(session.get(), session);
    counters_.active.store(sessions_.size(), std::memory_order_relaxed);
    session->start();
}

void StreamServer::on_session_end(StreamSession* session) {
    sessions_.erase(session);
    counters_.active.store(sessions_.size(), std::memory_order_relaxed);
    maybe_done();
}

void StreamServer::stop(std::chrono::milliseconds grace, std::function<void()> done) {
    asio::dispatch(io_, [self = shared_from_this(), grace, done = std::move(done)]() mutable {
        self->do_stop(grace, std::move(done));
    });
}

void StreamServer::do_stop(std::chrono::milliseconds grace, std::function<void()> done) {
    if (stopping_) {
        if (done) // a second stop() just waits for the first
            done_ = [first = std::move(done_), second = std::move(done)] {
                if (first)
                    first();
                second();
            };
        maybe_done();
        return;
    }
    stopping_ = true;
    done_ = std::move(done);
    std::error_code ignored;
    acceptor_.close(ignored);
    retry_timer_.cancel();
    std::vector<std::shared_ptr<StreamSession>> live;
    for (auto& [ptr, weak] : sessions_)
        if (auto s = weak.lock())
            live.push_back(std::move(s));
    for (auto& s : live)
        s->close();
    if (!sessions_.empty()) {
        stop_timer_.expires_after(grace);
        stop_timer_.async_wait([self = shared_from_this()](const std::error_code& ec) {
            if (ec)
                return;
            std::vector<std::shared_ptr<StreamSession>> left;
            for (auto& [ptr, weak] : self->sessions_)
                if (auto s = weak.lock())
                    left.push_back(std::move(s));
            for (auto& s : left)
                s->abort();
            self->sessions_.clear();
            self->maybe_done();
        });
    }
    maybe_done();
}

void StreamServer::maybe_done() {
    if (!stopping_ || !sessions_.empty() || !done_)
        return;
    stop_timer_.cancel();
    asio::post(io_, std::move(done_));
    done_ = nullptr;
}

StreamServerStats StreamServer::stats() const {
    StreamServerStats s;
    s.accepted = counters_.accepted.load(std::memory_order_relaxed);
    s.rejected = counters_.rejected.load(std::memory_order_relaxed);
    s.accept_errors = counters_.accept_errors.load(std::memory_order_relaxed);
    s.handshake_failures = counters_.handshake_failures.load(std::memory_order_relaxed);
    s.timeouts = counters_.timeouts.load(std::memory_order_relaxed);
    s.overflows = counters_.overflows.load(std::memory_order_relaxed);
    s.active = counters_.active.load(std::memory_order_relaxed);
    return s;
}

} // namespace rtc::net

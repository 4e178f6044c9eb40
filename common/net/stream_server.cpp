#include "net/stream_server.hpp"

#include "net/socket_address.hpp"
#include "tls/context.hpp"
#include "tls/engine.hpp"

#include <asio/bind_allocator.hpp>
#include <asio/dispatch.hpp>
#include <asio/ip/v6_only.hpp>
#include <asio/post.hpp>

#include <algorithm>
#include <cstring>
#include <new>
#include <sys/socket.h>
#include <vector>

namespace rtc::net {

namespace {
using Clock = std::chrono::steady_clock;
// How long a graceful close may wait for queued bytes to leave.
constexpr auto kCloseLinger = std::chrono::seconds(5);
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);
// Reads per readiness before the session waits again (and lets other sessions run).
constexpr int kMaxReadsPerWake = 16;

// One read buffer per thread, shared by every session on it: a session reads only once its
// socket is readable and hands the bytes to its handler before anything else runs on the thread.
struct ThreadReadBuffer {
    std::vector<uint8_t> bytes;
    bool busy = false;
};

class ReadLease {
public:
    explicit ReadLease(std::size_t size) : shared_(thread_buffer()) {
        if (shared_.busy) { // re-entered from a handler: never overwrite bytes still in use
            own_.resize(size);
            span_ = own_;
            return;
        }
        shared_.busy = true;
        leased_ = true;
        if (shared_.bytes.size() < size)
            shared_.bytes.resize(size);
        span_ = {shared_.bytes.data(), size};
    }
    ~ReadLease() {
        if (leased_)
            shared_.busy = false;
    }
    ReadLease(const ReadLease&) = delete;
    ReadLease& operator=(const ReadLease&) = delete;
    std::span<uint8_t> span() const { return span_; }

private:
    static ThreadReadBuffer& thread_buffer() {
        thread_local ThreadReadBuffer buffer;
        return buffer;
    }
    ThreadReadBuffer& shared_;
    std::vector<uint8_t> own_;
    std::span<uint8_t> span_;
    bool leased_ = false;
};

// Plain heap allocation for an Asio operation. (std::allocator itself would not do: Asio takes
// it for "none bound" and uses its per-thread recycling cache.)
template <typename T> struct HeapAllocator {
    using value_type = T;
    HeapAllocator() = default;
    template <typename U> HeapAllocator(const HeapAllocator<U>&) noexcept {}
    T* allocate(std::size_t n) { return std::allocator<T>().allocate(n); }
    void deallocate(T* p, std::size_t n) { std::allocator<T>().deallocate(p, n); }
    template <typename U> bool operator==(const HeapAllocator<U>&) const noexcept { return true; }
};

bool would_block(const std::error_code& ec) {
    return ec == asio::error::would_block || ec == asio::error::try_again;
}

// A FIFO of bytes that owns no memory while empty and costs one pointer: idle connections keep
// neither input nor output capacity. One allocation holds the indices and the bytes.
class ByteQueue {
public:
    std::size_t size() const { return block_ ? header().end - header().begin : 0; }
    std::span<const uint8_t> bytes() const {
        if (!block_)
            return {};
        return {payload() + header().begin, size()};
    }
    void append(std::span<const uint8_t> data) {
        if (data.empty())
            return;
        if (!block_ || header().capacity - header().end < data.size())
            make_room(data.size());
        std::memcpy(payload() + header().end, data.data(), data.size());
        header().end += data.size();
    }
    // Drops `n` bytes from the front; frees the storage once nothing is left.
    void consume(std::size_t n) {
        if (!block_)
            return;
        header().begin += std::min(n, size());
        if (header().begin == header().end)
            block_.reset();
    }
    void clear() { block_.reset(); }

private:
    struct Header {
        std::size_t capacity;
        std::size_t begin;
        std::size_t end;
    };
    static constexpr std::size_t kMinCapacity = 256;

    Header& header() const { return *std::launder(reinterpret_cast<Header*>(block_.get())); }
    uint8_t* payload() const { return reinterpret_cast<uint8_t*>(block_.get() + sizeof(Header)); }

    // Room for `extra` more bytes: slide the live bytes to the front when what was consumed is
    // at least as much as what is left (amortised linear), otherwise grow by doubling.
    void make_room(std::size_t extra) {
        const std::size_t live = size();
        if (block_ && header().capacity >= live + extra && header().begin >= live) {
            std::memmove(payload(), payload() + header().begin, live);
            header().begin = 0;
            header().end = live;
            return;
        }
        const std::size_t capacity =
            std::max({live + extra, kMinCapacity, block_ ? 2 * header().capacity : 0});
        auto next = std::make_unique_for_overwrite<std::byte[]>(sizeof(Header) + capacity);
        ::new (next.get()) Header{capacity, 0, live};
        if (live > 0)
            std::memcpy(reinterpret_cast<uint8_t*>(next.get() + sizeof(Header)),
                        payload() + header().begin, live);
        block_ = std::move(next);
    }

    std::unique_ptr<std::byte[]> block_;
};
} // namespace

class StreamSession final : public StreamConnection,
                            public std::enable_shared_from_this<StreamSession> {
public:
    StreamSession(std::shared_ptr<StreamServer> server, StreamServer::Socket socket)
        : server_(std::move(server)), socket_(std::move(socket)) {}
    ~StreamSession() override { server_->forget(*this); }

    void start();
    void abort() { finish(); }
    void on_timeout(StreamServer::Queue queue);

    bool write(std::span<const uint8_t> data) override;
    void close() override;
    const util::Endpoint& remote() const override { return remote_; }
    const util::Endpoint& local() const override { return local_; }
    bool is_tls() const override { return tls_ != nullptr; }
    std::string_view alpn() const override { return tls_ ? tls_->alpn() : std::string_view(); }
    std::size_t buffered_output() const override { return output_.size(); }

private:
    friend class StreamServer;
    enum class State : uint8_t { Handshaking, Open, Closing, Closed };

    const StreamServerOptions& options() const { return server_->options_; }
    void wait_readable();
    void on_readable(const std::error_code& ec);
    std::error_code read_rounds(std::span<uint8_t> buffer);
    void on_read_end(const std::error_code& ec);
    void on_tls_input(std::span<const uint8_t> data, Clock::time_point now);
    void on_plain_input(std::span<const uint8_t> data);
    std::size_t feed_handler(std::span<const uint8_t> data);
    bool make_handler();
    void enter_open(Clock::time_point now);
    void move_tls_output();
    bool check_output_limit();
    void request_flush();
    void flush();
    void wait_writable();
    void finish();

    std::shared_ptr<StreamServer> server_;
    StreamServer::Socket socket_;
    util::Endpoint remote_;
    util::Endpoint local_;
    std::unique_ptr<tls::Engine> tls_;
    std::unique_ptr<StreamHandler> handler_;
    ByteQueue input_;  // plain TCP: bytes the handler has not consumed yet
    ByteQueue output_; // queued for the socket
    // The server's list of this session (see StreamServer::Queue).
    StreamSession* prev_ = nullptr;
    StreamSession* next_ = nullptr;
    Clock::time_point since_{};
    StreamServer::Queue queue_ = StreamServer::Queue::None;
    State state_ = State::Handshaking;
    bool reading_ = false;       // inside on_readable(): output goes out after each read
    bool flush_posted_ = false;  // a flush() is queued on the io_context
    bool write_waiting_ = false; // waiting for the socket to take more output
};

void StreamSession::start() {
    std::error_code ec;
    const auto remote = socket_.remote_endpoint(ec);
    const auto local = ec ? decltype(remote){} : socket_.local_endpoint(ec);
    if (!ec) // reads and writes try the socket first and wait only when it would block
        socket_.non_blocking(true, ec);
    if (ec) { // the peer left before we looked
        finish();
        return;
    }
    remote_ = from_asio(remote);
    local_ = from_asio(local);
    socket_.set_option(asio::ip::tcp::no_delay(true), ec);
    const auto now = Clock::now();
    if (options().tls) {
        tls_ = std::make_unique<tls::Engine>(options().tls->current());
        state_ = State::Handshaking;
        server_->enqueue(*this, StreamServer::Queue::Handshake, now);
    } else {
        state_ = State::Open;
        if (!make_handler())
            return;
        enter_open(now);
    }
    wait_readable();
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

void StreamSession::enter_open(Clock::time_point now) {
    server_->enqueue(*this,
                     options().idle_timeout.count() > 0 ? StreamServer::Queue::Idle
                                                        : StreamServer::Queue::Untimed,
                     now);
}

// An idle connection holds nothing but this wait: no buffer is committed until bytes arrive.
void StreamSession::wait_readable() {
    socket_.async_wait(
        asio::socket_base::wait_read,
        [self = shared_from_this()](const std::error_code& ec) { self->on_readable(ec); });
}

void StreamSession::on_readable(const std::error_code& ec) {
    if (state_ == State::Closed)
        return;
    if (ec) {
        finish();
        return;
    }
    std::error_code end;
    {
        ReadLease lease(std::max<std::size_t>(options().read_size, 512));
        reading_ = true;
        end = read_rounds(lease.span());
        reading_ = false;
    }
    if (state_ == State::Closed)
        return;
    if (end) {
        on_read_end(end);
        return;
    }
    wait_readable();
}

// Reads until the socket is drained (a short read), it would block, or kMaxReadsPerWake.
// Returns the error that ended the stream, if any.
std::error_code StreamSession::read_rounds(std::span<uint8_t> buffer) {
    for (int round = 0; round < kMaxReadsPerWake; ++round) {
        std::error_code ec;
        const std::size_t n = socket_.read_some(asio::buffer(buffer.data(), buffer.size()), ec);
        if (would_block(ec))
            return {};
        if (ec)
            return ec;
        const auto now = Clock::now();
        server_->touch(*this, now);
        if (state_ != State::Closing) { // a closing session discards what still arrives
            const std::span<const uint8_t> data(buffer.data(), n);
            if (tls_)
                on_tls_input(data, now);
            else
                on_plain_input(data);
        }
        if (state_ != State::Closed)
            flush(); // the answers to this read, in one send
        if (state_ == State::Closed || n < buffer.size())
            return {};
    }
    return {};
}

void StreamSession::on_read_end(const std::error_code& ec) {
    // The peer finished sending (or reset). What we still owe it goes out first if it can.
    if (ec == asio::error::eof && buffered_output() > 0) {
        if (state_ != State::Closing) {
            state_ = State::Closing;
            server_->enqueue(*this, StreamServer::Queue::Closing, Clock::now());
        }
        flush();
        return;
    }
    finish();
}

void StreamSession::on_tls_input(std::span<const uint8_t> data, Clock::time_point now) {
    tls_->feed(data, now);
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
        enter_open(now);
    }
    if (state_ == State::Open) {
        const auto plain = tls_->pending_plaintext();
        if (!plain.empty())
            tls_->consume_plaintext(feed_handler(plain));
        if (state_ == State::Open &&
            tls_->pending_plaintext().size() > options().max_buffered_bytes) {
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
    if (input_.size() == 0) {
        // The common case: the handler reads the shared buffer; only a remainder is copied.
        const std::size_t used = feed_handler(data);
        if (state_ == State::Open && used < data.size())
            input_.append(data.subspan(used));
    } else {
        input_.append(data);
        const std::size_t used = feed_handler(input_.bytes());
        // The handler has returned: input_ may change now (finish() leaves it alone for that).
        if (state_ == State::Open)
            input_.consume(used);
        else
            input_.clear();
    }
    if (state_ == State::Open && input_.size() > options().max_buffered_bytes) {
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
        return state_ == State::Open;
    }
    output_.append(data);
    if (!check_output_limit())
        return false;
    request_flush();
    return true;
}

bool StreamSession::check_output_limit() {
    if (buffered_output() <= options().max_buffered_bytes)
        return true;
    server_->counters_.overflows.fetch_add(1, std::memory_order_relaxed);
    finish();
    return false;
}

void StreamSession::move_tls_output() {
    for (auto out = tls_->pending_output(); !out.empty(); out = tls_->pending_output()) {
        output_.append(out);
        tls_->consume_output();
    }
    if (check_output_limit())
        request_flush();
}

// Output written in one turn of the event loop goes out in one send: after each read when this
// session's own handler wrote it, otherwise from a posted flush.
void StreamSession::request_flush() {
    if (reading_ || write_waiting_ || flush_posted_ || state_ == State::Closed ||
        buffered_output() == 0)
        return;
    flush_posted_ = true;
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
        self->flush_posted_ = false;
        self->flush();
    });
}

void StreamSession::flush() {
    if (state_ == State::Closed || write_waiting_)
        return;
    bool progressed = false;
    // Bounded: every round sends at least one byte or leaves the loop.
    while (output_.size() > 0) {
        const auto out = output_.bytes();
        std::error_code ec;
        const std::size_t n = socket_.write_some(asio::buffer(out.data(), out.size()), ec);
        if (would_block(ec) || (!ec && n == 0))
            break;
        if (ec) {
            finish();
            return;
        }
        output_.consume(n); // frees the storage once drained: an idle connection keeps none
        progressed = true;
    }
    if (progressed)
        server_->touch(*this, Clock::now());
    if (output_.size() > 0) {
        wait_writable();
        return;
    }
    if (state_ == State::Closing) {
        std::error_code ignored;
        socket_.shutdown(asio::socket_base::shutdown_send, ignored);
        finish();
    }
}

void StreamSession::wait_writable() {
    write_waiting_ = true;
    socket_.async_wait(asio::socket_base::wait_write,
                       [self = shared_from_this()](const std::error_code& ec) {
                           self->write_waiting_ = false;
                           if (self->state_ == State::Closed)
                               return;
                           if (ec) {
                               self->finish();
                               return;
                           }
                           self->flush();
                       });
}

void StreamSession::close() {
    if (state_ == State::Closing || state_ == State::Closed)
        return;
    state_ = State::Closing;
    server_->enqueue(*this, StreamServer::Queue::Closing, Clock::now());
    if (tls_) {
        tls_->close(); // close_notify (RFC 5246 §7.2.1)
        move_tls_output();
        if (state_ == State::Closed)
            return;
    }
    if (buffered_output() == 0 && !write_waiting_) {
        std::error_code ignored;
        socket_.shutdown(asio::socket_base::shutdown_send, ignored);
        finish();
        return;
    }
    request_flush();
}

void StreamSession::on_timeout(StreamServer::Queue queue) {
    if (queue != StreamServer::Queue::Closing)
        server_->counters_.timeouts.fetch_add(1, std::memory_order_relaxed);
    finish();
}

void StreamSession::finish() {
    if (state_ == State::Closed)
        return;
    state_ = State::Closed;
    std::error_code ignored;
    socket_.close(ignored); // the pending waits end with operation_aborted
    output_.clear();
    // input_ stays: a handler may still be reading it (on_plain_input frees it).
    // on_close() is queued before the server learns the session ended, so a stop() completion
    // runs after every handler heard of its close.
    if (handler_)
        asio::post(socket_.get_executor(),
                   [self = shared_from_this()] { self->handler_->on_close(); });
    server_->on_session_end(*this);
}

struct StreamServer::Private {};

StreamServer::StreamServer(asio::io_context& io, HandlerFactory factory,
                           StreamServerOptions options, Private)
    : io_(io), acceptor_(io), retry_timer_(io), stop_timer_(io), sweep_timer_(io),
      factory_(std::move(factory)), options_(std::move(options)) {}

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
    // The accept operation (about 180 bytes) comes from the heap and goes back to it: through
    // Asio's per-thread recycling cache, every freed block would be taken over by the next
    // connection's long-lived wait, which needs half of it.
    acceptor_.async_accept(asio::bind_allocator(
        HeapAllocator<void>(),
        [self = shared_from_this()](const std::error_code& ec, Socket socket) {
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
        }));
}

void StreamServer::on_accept(Socket socket) {
    if (live_ >= options_.max_connections) {
        counters_.rejected.fetch_add(1, std::memory_order_relaxed);
        std::error_code ignored;
        socket.close(ignored);
        return;
    }
    counters_.accepted.fetch_add(1, std::memory_order_relaxed);
    auto session = std::make_shared<StreamSession>(shared_from_this(), std::move(socket));
    ++live_;
    counters_.active.store(live_, std::memory_order_relaxed);
    enqueue(*session, Queue::Untimed, Clock::now()); // start() picks the real list
    session->start();
}

std::chrono::milliseconds StreamServer::timeout(Queue queue) const {
    switch (queue) {
    case Queue::Handshake:
        return options_.handshake_timeout;
    case Queue::Idle:
        return options_.idle_timeout;
    case Queue::Closing:
        return std::chrono::duration_cast<std::chrono::milliseconds>(kCloseLinger);
    case Queue::Untimed:
    case Queue::None:
        break;
    }
    return std::chrono::milliseconds::max();
}

void StreamServer::enqueue(StreamSession& session, Queue queue, Clock::time_point now) {
    unlink(session);
    auto& list = lists_[static_cast<std::size_t>(queue)];
    session.queue_ = queue;
    session.since_ = now;
    session.prev_ = list.last;
    session.next_ = nullptr;
    (list.last ? list.last->next_ : list.first) = &session;
    list.last = &session;
    // The list's other entries expire first; only another list can be due later than this.
    if (queue != Queue::Untimed && now + timeout(queue) < sweep_at_)
        arm_sweep();
}

void StreamServer::touch(StreamSession& session, Clock::time_point now) {
    if (session.queue_ != Queue::Idle)
        return; // handshake and closing deadlines do not move
    if (lists_[static_cast<std::size_t>(Queue::Idle)].last == &session)
        session.since_ = now;
    else
        enqueue(session, Queue::Idle, now);
}

void StreamServer::unlink(StreamSession& session) {
    if (session.queue_ == Queue::None)
        return;
    auto& list = lists_[static_cast<std::size_t>(session.queue_)];
    (session.prev_ ? session.prev_->next_ : list.first) = session.next_;
    (session.next_ ? session.next_->prev_ : list.last) = session.prev_;
    session.prev_ = session.next_ = nullptr;
    session.queue_ = Queue::None;
}

void StreamServer::on_session_end(StreamSession& session) {
    unlink(session);
    --live_;
    counters_.active.store(live_, std::memory_order_relaxed);
    // Without a timed session the timer goes, so that a stopped server leaves no work behind.
    if (sweep_at_ != Clock::time_point::max() &&
        std::none_of(kTimedQueues.begin(), kTimedQueues.end(), [this](Queue q) {
            return lists_[static_cast<std::size_t>(q)].first != nullptr;
        })) {
        sweep_at_ = Clock::time_point::max();
        sweep_timer_.cancel();
    }
    maybe_done();
}

void StreamServer::forget(StreamSession& session) {
    if (session.queue_ == Queue::None)
        return; // it ended normally
    unlink(session);
    --live_;
    counters_.active.store(live_, std::memory_order_relaxed);
}

std::vector<std::shared_ptr<StreamSession>> StreamServer::live_sessions() const {
    std::vector<std::shared_ptr<StreamSession>> out;
    out.reserve(live_);
    for (const auto& list : lists_)
        for (StreamSession* s = list.first; s != nullptr; s = s->next_)
            if (auto locked = s->weak_from_this().lock())
                out.push_back(std::move(locked));
    return out;
}

// One timer for every session: it fires when the first entry of some timed list is due.
void StreamServer::arm_sweep() {
    auto due = Clock::time_point::max();
    for (const Queue q : kTimedQueues)
        if (const StreamSession* first = lists_[static_cast<std::size_t>(q)].first)
            due = std::min(due, first->since_ + timeout(q));
    if (due == sweep_at_)
        return;
    sweep_at_ = due;
    if (due == Clock::time_point::max()) {
        sweep_timer_.cancel();
        return;
    }
    sweep_timer_.expires_at(due);
    sweep_timer_.async_wait([weak = weak_from_this()](const std::error_code& ec) {
        if (ec == asio::error::operation_aborted)
            return;
        if (auto self = weak.lock())
            self->sweep();
    });
}

void StreamServer::sweep() {
    sweep_at_ = Clock::time_point::max();
    const auto now = Clock::now();
    for (const Queue q : kTimedQueues) {
        auto& list = lists_[static_cast<std::size_t>(q)];
        const auto limit = timeout(q);
        // Bounded: every round takes the first entry off the list (on_timeout() ends it).
        while (StreamSession* first = list.first) {
            if (first->since_ + limit > now)
                break;
            const auto keep = first->weak_from_this().lock();
            if (keep)
                keep->on_timeout(q);
            if (list.first == first) // cannot happen; never loop on it
                unlink(*first);
        }
    }
    arm_sweep();
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
    for (auto& s : live_sessions())
        s->close();
    if (live_ > 0) {
        stop_timer_.expires_after(grace);
        stop_timer_.async_wait([self = shared_from_this()](const std::error_code& ec) {
            if (ec)
                return;
            for (auto& s : self->live_sessions())
                s->abort();
            self->maybe_done();
        });
    }
    maybe_done();
}

void StreamServer::maybe_done() {
    if (!stopping_ || live_ > 0 || !done_)
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

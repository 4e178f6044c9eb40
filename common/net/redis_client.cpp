#include "net/redis_client.hpp"

#include "util/ip_address.hpp"

#include <asio/connect.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include <hiredis/hiredis.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <deque>
#include <set>
#include <vector>

namespace rtc::net {

namespace {

struct ReaderDeleter {
    void operator()(redisReader* reader) const { redisReaderFree(reader); }
};
struct ReplyDeleter {
    void operator()(void* reply) const { freeReplyObject(reply); }
};
struct CommandDeleter {
    void operator()(char* command) const { redisFreeCommand(command); }
};
using ReaderPtr = std::unique_ptr<redisReader, ReaderDeleter>;
using ReplyPtr = std::unique_ptr<void, ReplyDeleter>;
using CommandPtr = std::unique_ptr<char, CommandDeleter>;

char ascii_lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return ascii_lower(x) == ascii_lower(y);
           });
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// RFC 3986 §2.1 percent-decoding of the userinfo part.
std::optional<std::string> percent_decode(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '%') {
            out.push_back(in[i]);
            continue;
        }
        if (i + 2 >= in.size())
            return std::nullopt;
        const int hi = hex_digit(in[i + 1]), lo = hex_digit(in[i + 2]);
        if (hi < 0 || lo < 0)
            return std::nullopt;
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
    }
    return out;
}

std::optional<uint64_t> parse_number(std::string_view text, uint64_t max) {
    if (text.empty() || text.size() > 10)
        return std::nullopt;
    uint64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9')
            return std::nullopt;
        value = value * 10 + static_cast<uint64_t>(c - '0');
    }
    if (value > max)
        return std::nullopt;
    return value;
}

bool valid_host_name(std::string_view host) {
    if (host.empty() || host.size() > 253)
        return false;
    return std::all_of(host.begin(), host.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '-' || c == '_';
    });
}

// The text as an error may show it: USER:PASSWORD@ becomes ***@.
std::string redact(std::string_view text) {
    const auto start = text.find("://");
    if (start == std::string_view::npos)
        return std::string(text);
    const auto authority_end = text.find('/', start + 3);
    const auto at = text.substr(0, authority_end).rfind('@');
    if (at == std::string_view::npos || at < start)
        return std::string(text);
    return std::string(text.substr(0, start + 3)) + "***" + std::string(text.substr(at));
}

std::optional<RedisUrl> fail_parse(std::string* error, std::string_view text,
                                   std::string_view why) {
    if (error)
        *error = "\"" + redact(text) + "\": " + std::string(why);
    return std::nullopt;
}

bool is_push(const redisReply* reply, std::string_view kind) {
    return reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1 &&
           reply->element[0]->type == REDIS_REPLY_STRING &&
           iequals(std::string_view(reply->element[0]->str, reply->element[0]->len), kind);
}

} // namespace

// ---------------------------------------------------------------------------------------------
// RedisUrl

std::optional<RedisUrl> RedisUrl::parse(std::string_view text, std::string* error) {
    constexpr std::string_view kScheme = "redis://";
    constexpr std::string_view kUsage = "expected redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]";
    if (text.size() < kScheme.size() || !iequals(text.substr(0, kScheme.size()), kScheme))
        return fail_parse(error, text, kUsage);
    std::string_view rest = text.substr(kScheme.size());
    if (rest.find_first_of("?#") != std::string_view::npos)
        return fail_parse(error, text, "query and fragment are not supported");

    RedisUrl url;
    std::string_view authority = rest.substr(0, rest.find('/'));
    if (authority.size() < rest.size()) {
        const std::string_view db = rest.substr(authority.size() + 1);
        if (!db.empty()) {
            const auto number = parse_number(db, 0x7fffffff);
            if (!number)
                return fail_parse(error, text, "the database must be a number");
            url.db = static_cast<uint32_t>(*number);
        }
    }
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        const std::string_view userinfo = authority.substr(0, at);
        authority.remove_prefix(at + 1);
        const auto colon = userinfo.find(':');
        if (colon == std::string_view::npos)
            return fail_parse(error, text, "expected :PASSWORD@ or USER:PASSWORD@");
        auto user = percent_decode(userinfo.substr(0, colon));
        auto password = percent_decode(userinfo.substr(colon + 1));
        if (!user || !password)
            return fail_parse(error, text, "bad percent-encoding in the user or password");
        url.username = std::move(*user);
        url.password = std::move(*password);
    }
    std::string_view host = authority;
    std::optional<std::string_view> port;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos)
            return fail_parse(error, text, "missing ] after the IPv6 address");
        host = authority.substr(1, close - 1);
        const auto after = authority.substr(close + 1);
        if (!after.empty() && after.front() != ':')
            return fail_parse(error, text, "expected :PORT after ]");
        if (!after.empty())
            port = after.substr(1);
        const auto address = util::IpAddress::parse(host);
        if (!address || !address->is_v6())
            return fail_parse(error, text, "bad IPv6 address");
    } else {
        if (const auto colon = authority.find(':'); colon != std::string_view::npos) {
            host = authority.substr(0, colon);
            port = authority.substr(colon + 1);
        }
        if (!valid_host_name(host))
            return fail_parse(error, text, "missing or bad host");
    }
    if (port) {
        const auto number = parse_number(*port, 65535);
        if (!number || *number == 0)
            return fail_parse(error, text, "the port must be 1-65535");
        url.port = static_cast<uint16_t>(*number);
    }
    url.host = std::string(host);
    return url;
}

std::string RedisUrl::to_string() const {
    std::string out = "redis://";
    if (!password.empty() || !username.empty()) {
        out += username;
        out += ":***@";
    }
    if (host.find(':') != std::string::npos)
        out += "[" + host + "]";
    else
        out += host;
    out += ":" + std::to_string(port);
    if (db != 0)
        out += "/" + std::to_string(db);
    return out;
}

// ---------------------------------------------------------------------------------------------
// RedisReply

RedisReplyType RedisReply::type() const {
    if (!reply_)
        return RedisReplyType::None;
    switch (reply_->type) {
    case REDIS_REPLY_STRING:
        return RedisReplyType::String;
    case REDIS_REPLY_ARRAY:
        return RedisReplyType::Array;
    case REDIS_REPLY_INTEGER:
        return RedisReplyType::Integer;
    case REDIS_REPLY_STATUS:
        return RedisReplyType::Status;
    case REDIS_REPLY_ERROR:
        return RedisReplyType::Error;
    default:
        return RedisReplyType::Nil;
    }
}

std::string_view RedisReply::str() const {
    if (!reply_ || !(reply_->type == REDIS_REPLY_STRING || reply_->type == REDIS_REPLY_STATUS ||
                     reply_->type == REDIS_REPLY_ERROR))
        return {};
    return {reply_->str, reply_->len};
}

long long RedisReply::integer() const {
    return reply_ && reply_->type == REDIS_REPLY_INTEGER ? reply_->integer : 0;
}

std::size_t RedisReply::size() const {
    return reply_ && reply_->type == REDIS_REPLY_ARRAY ? reply_->elements : 0;
}

RedisReply RedisReply::operator[](std::size_t index) const {
    return index < size() ? RedisReply(reply_->element[index]) : RedisReply();
}

// ---------------------------------------------------------------------------------------------
// RedisClient::State: one connection at a time, numbered by `generation` so that completions of
// an older connection (or of one closed by stop()) are ignored.

struct RedisClient::State : std::enable_shared_from_this<RedisClient::State> {
    enum class Phase { Idle, Connecting, Handshake, Ready, Waiting, Stopped };

    State(asio::io_context& io, RedisUrl url, RedisClientOptions options)
        : url(std::move(url)), options(options), resolver(io), socket(io), retry_timer(io),
          deadline_timer(io), ping_timer(io) {
        // A zero wait would retry in a tight loop.
        this->options.reconnect_min = std::max(options.reconnect_min, std::chrono::milliseconds(1));
        this->options.reconnect_max = std::max(options.reconnect_max, this->options.reconnect_min);
        backoff = this->options.reconnect_min;
        read_buffer.resize(std::max<std::size_t>(options.read_size, 512));
    }

    void start();
    void stop();
    void attempt();
    void on_connected_socket();
    void send_handshake();
    void after_handshake();
    void become_ready();
    void fail(std::string reason);
    void read();
    void on_read(std::size_t n);
    void dispatch(const redisReply* reply);
    void on_push(const redisReply* reply);
    void arm_ping();
    void on_ping_timer();
    bool format(std::span<const std::string_view> args, std::string& out);
    void send(std::span<const std::string_view> args);
    void flush();
    bool submit(std::span<const std::string_view> args, ReplyHandler on_reply);
    void do_subscribe(std::string_view verb, std::string_view channel);

    RedisUrl url;
    RedisClientOptions options;
    asio::ip::tcp::resolver resolver;
    asio::ip::tcp::socket socket;
    asio::steady_timer retry_timer;
    asio::steady_timer deadline_timer; // connect + handshake
    asio::steady_timer ping_timer;
    Phase phase = Phase::Idle;
    uint64_t generation = 0;
    std::chrono::milliseconds backoff{};

    ReaderPtr reader;
    std::vector<char> read_buffer;
    std::string output;  // commands queued for the next write
    std::string writing; // owned by the write in flight
    bool write_active = false;
    std::deque<ReplyHandler> pending; // one per command awaiting its reply, in order

    bool subscriber = false;                     // subscribe() was called
    std::set<std::string, std::less<>> channels; // to subscribe on every connection
    bool subscribed_here = false;                // SUBSCRIBE went out on this connection
    std::size_t awaiting_confirms = 0;           // handshake: SUBSCRIBE confirmations due
    bool awaiting_pong = false;                  // a PING went out, nothing received since
    std::string last_error;

    ConnectedHandler on_connected;
    DisconnectedHandler on_disconnected;
    MessageHandler on_message;

    struct Counters {
        std::atomic<uint64_t> connects{0}, reconnects{0}, disconnects{0}, connect_failures{0},
            commands{0}, replies{0}, dropped{0}, messages{0};
        std::atomic<bool> connected{false};
    } counters;
};

void RedisClient::State::start() {
    if (phase != Phase::Idle && phase != Phase::Stopped)
        return;
    backoff = options.reconnect_min;
    attempt();
}

void RedisClient::State::stop() {
    phase = Phase::Stopped;
    ++generation;
    std::error_code ignored;
    socket.close(ignored);
    resolver.cancel();
    retry_timer.cancel();
    deadline_timer.cancel();
    ping_timer.cancel();
    pending.clear(); // never called: stop() promises no more callbacks
    output.clear();
    counters.connected.store(false, std::memory_order_relaxed);
}

void RedisClient::State::attempt() {
    const uint64_t gen = ++generation;
    phase = Phase::Connecting;
    reader.reset(redisReaderCreate());
    if (!reader) {
        fail("cannot create the reply reader");
        return;
    }
    output.clear();
    writing.clear();
    write_active = false;
    pending.clear();
    subscribed_here = false;
    awaiting_confirms = 0;
    awaiting_pong = false;

    deadline_timer.expires_after(options.connect_timeout);
    deadline_timer.async_wait([self = shared_from_this(), gen](const std::error_code& ec) {
        if (!ec && gen == self->generation && self->phase != Phase::Ready)
            self->fail("timed out connecting to " + self->url.to_string());
    });
    resolver.async_resolve(
        url.host, std::to_string(url.port),
        [self = shared_from_this(), gen](const std::error_code& ec,
                                         const asio::ip::tcp::resolver::results_type& results) {
            if (gen != self->generation)
                return;
            if (ec) {
                self->fail("cannot resolve " + self->url.host + ": " + ec.message());
                return;
            }
            asio::async_connect(
                self->socket, results,
                [self, gen](const std::error_code& ec2, const asio::ip::tcp::endpoint&) {
                    if (gen != self->generation)
                        return;
                    if (ec2) {
                        self->fail("cannot connect to " + self->url.to_string() + ": " +
                                   ec2.message());
                        return;
                    }
                    self->on_connected_socket();
                });
        });
}

void RedisClient::State::on_connected_socket() {
    std::error_code ignored;
    socket.set_option(asio::ip::tcp::no_delay(true), ignored); // small pipelined commands
    socket.set_option(asio::socket_base::keep_alive(true), ignored);
    phase = Phase::Handshake;
    read();
    send_handshake();
}

// AUTH and SELECT are pipelined; SUBSCRIBE follows once both succeeded.
void RedisClient::State::send_handshake() {
    const uint64_t gen = generation;
    const bool auth = !url.password.empty() || !url.username.empty();
    const bool select = url.db != 0;
    auto step = [this, gen](std::string what, bool last) {
        return [this, gen, what = std::move(what), last](const RedisReply& reply) {
            if (gen != generation || !reply.has_value())
                return;
            if (reply.is_error()) {
                fail(what + " failed: " + std::string(reply.str()));
                return;
            }
            if (last)
                after_handshake();
        };
    };
    if (auth) {
        if (url.username.empty()) {
            const std::array<std::string_view, 2> args{"AUTH", url.password};
            send(args);
        } else {
            const std::array<std::string_view, 3> args{"AUTH", url.username, url.password};
            send(args);
        }
        pending.push_back(step("AUTH", !select));
    }
    if (select) {
        const std::string db = std::to_string(url.db);
        const std::array<std::string_view, 2> args{"SELECT", db};
        send(args);
        pending.push_back(step("SELECT " + db, true));
    }
    if (!auth && !select)
        after_handshake();
}

void RedisClient::State::after_handshake() {
    if (channels.empty()) {
        become_ready();
        return;
    }
    std::vector<std::string_view> args;
    args.reserve(channels.size() + 1);
    args.push_back("SUBSCRIBE");
    for (const auto& channel : channels)
        args.push_back(channel);
    send(args);
    subscribed_here = true;
    awaiting_confirms = channels.size();
}

void RedisClient::State::become_ready() {
    phase = Phase::Ready;
    deadline_timer.cancel();
    backoff = options.reconnect_min;
    if (counters.connects.fetch_add(1, std::memory_order_relaxed) > 0)
        counters.reconnects.fetch_add(1, std::memory_order_relaxed);
    counters.connected.store(true, std::memory_order_relaxed);
    arm_ping();
    if (on_connected)
        on_connected();
}

void RedisClient::State::fail(std::string reason) {
    if (phase == Phase::Stopped || phase == Phase::Waiting)
        return;
    const bool was_ready = phase == Phase::Ready;
    const uint64_t gen = ++generation;
    phase = Phase::Waiting;
    last_error = std::move(reason);
    std::error_code ignored;
    socket.close(ignored);
    resolver.cancel();
    deadline_timer.cancel();
    ping_timer.cancel();
    output.clear();
    counters.connected.store(false, std::memory_order_relaxed);
    if (was_ready)
        counters.disconnects.fetch_add(1, std::memory_order_relaxed);
    else
        counters.connect_failures.fetch_add(1, std::memory_order_relaxed);

    // The retry is armed before any callback, so a callback may still stop() it.
    retry_timer.expires_after(backoff);
    backoff = std::min(backoff * 2, options.reconnect_max);
    retry_timer.async_wait([self = shared_from_this(), gen](const std::error_code& ec) {
        if (!ec && gen == self->generation && self->phase == Phase::Waiting)
            self->attempt();
    });

    // Commands in flight get no reply; each handler runs once, with None.
    std::deque<ReplyHandler> lost;
    lost.swap(pending);
    for (std::size_t i = 0; i < lost.size() && gen == generation; ++i) {
        if (lost[i])
            lost[i](RedisReply());
    }
    if (was_ready && gen == generation && on_disconnected)
        on_disconnected(last_error);
}

void RedisClient::State::read() {
    socket.async_read_some(
        asio::buffer(read_buffer),
        [self = shared_from_this(), gen = generation](const std::error_code& ec, std::size_t n) {
            if (gen != self->generation)
                return;
            if (ec) {
                self->fail(ec == asio::error::eof ? "connection closed by the server"
                                                  : "read failed: " + ec.message());
                return;
            }
            self->on_read(n);
            if (gen == self->generation)
                self->read();
        });
}

void RedisClient::State::on_read(std::size_t n) {
    const uint64_t gen = generation;
    awaiting_pong = false; // any byte shows the server is alive
    if (redisReaderFeed(reader.get(), read_buffer.data(), n) != REDIS_OK) {
        fail("cannot buffer the reply");
        return;
    }
    // Each decoded reply consumes input, so this ends with the bytes fed.
    for (;;) {
        void* raw = nullptr;
        if (redisReaderGetReply(reader.get(), &raw) != REDIS_OK) {
            fail(std::string("protocol error: ") + reader->errstr);
            return;
        }
        if (raw == nullptr)
            break;
        const ReplyPtr reply(raw);
        counters.replies.fetch_add(1, std::memory_order_relaxed);
        dispatch(static_cast<const redisReply*>(reply.get()));
        if (gen != generation)
            return;
    }
    if (reader->len - reader->pos > options.max_input_bytes)
        fail("a reply exceeds " + std::to_string(options.max_input_bytes) + " bytes");
}

// Replies come in command order; once subscribed, anything beyond them is a push.
void RedisClient::State::dispatch(const redisReply* reply) {
    if (!pending.empty()) {
        ReplyHandler handler = std::move(pending.front());
        pending.pop_front();
        if (handler)
            handler(RedisReply(reply));
        return;
    }
    if (subscribed_here && reply->type == REDIS_REPLY_ARRAY) {
        on_push(reply);
        return;
    }
    if (subscribed_here && reply->type == REDIS_REPLY_STATUS)
        return; // +PONG once no channel is left
    if (reply->type == REDIS_REPLY_ERROR)
        fail("unexpected error: " + std::string(reply->str, reply->len));
    else
        fail("unexpected reply");
}

void RedisClient::State::on_push(const redisReply* reply) {
    if (is_push(reply, "message") && reply->elements == 3 &&
        reply->element[1]->type == REDIS_REPLY_STRING &&
        reply->element[2]->type == REDIS_REPLY_STRING) {
        counters.messages.fetch_add(1, std::memory_order_relaxed);
        if (on_message)
            on_message(std::string_view(reply->element[1]->str, reply->element[1]->len),
                       std::string_view(reply->element[2]->str, reply->element[2]->len));
        return;
    }
    if (is_push(reply, "subscribe")) {
        if (phase == Phase::Handshake && awaiting_confirms > 0 && --awaiting_confirms == 0)
            become_ready();
        return;
    }
    // "unsubscribe", "pong" and anything newer: nothing to do.
}

void RedisClient::State::arm_ping() {
    if (options.ping_interval.count() <= 0)
        return;
    ping_timer.expires_after(options.ping_interval);
    ping_timer.async_wait([self = shared_from_this(), gen = generation](const std::error_code& ec) {
        if (!ec && gen == self->generation)
            self->on_ping_timer();
    });
}

void RedisClient::State::on_ping_timer() {
    if (phase != Phase::Ready)
        return;
    if (awaiting_pong) {
        fail("no reply to PING within " + std::to_string(options.ping_interval.count()) + " ms");
        return;
    }
    const std::array<std::string_view, 1> ping{"PING"};
    send(ping);
    if (!subscribed_here)
        pending.emplace_back(); // its reply is consumed in order
    awaiting_pong = true;
    arm_ping();
}

bool RedisClient::State::format(std::span<const std::string_view> args, std::string& out) {
    constexpr std::size_t kInline = 8;
    std::array<const char*, kInline> inline_argv;
    std::array<std::size_t, kInline> inline_lens;
    std::vector<const char*> heap_argv;
    std::vector<std::size_t> heap_lens;
    const char** argv = inline_argv.data();
    std::size_t* lens = inline_lens.data();
    if (args.size() > kInline) {
        heap_argv.resize(args.size());
        heap_lens.resize(args.size());
        argv = heap_argv.data();
        lens = heap_lens.data();
    }
    for (std::size_t i = 0; i < args.size(); ++i) {
        argv[i] = args[i].data() != nullptr ? args[i].data() : "";
        lens[i] = args[i].size();
    }
    char* raw = nullptr;
    const int len = redisFormatCommandArgv(&raw, static_cast<int>(args.size()), argv, lens);
    const CommandPtr command(raw);
    if (len < 0 || !command)
        return false;
    out.append(command.get(), static_cast<std::size_t>(len));
    return true;
}

// Internal commands (handshake, PING, SUBSCRIBE) bypass the output bounds.
void RedisClient::State::send(std::span<const std::string_view> args) {
    if (!format(args, output)) {
        fail("cannot format a command");
        return;
    }
    flush();
}

void RedisClient::State::flush() {
    if (write_active || output.empty())
        return;
    writing.swap(output);
    output.clear();
    write_active = true;
    asio::async_write(
        socket, asio::buffer(writing),
        [self = shared_from_this(), gen = generation](const std::error_code& ec, std::size_t) {
            if (gen != self->generation)
                return;
            self->write_active = false;
            self->writing.clear();
            if (ec) {
                self->fail("write failed: " + ec.message());
                return;
            }
            self->flush();
        });
}

bool RedisClient::State::submit(std::span<const std::string_view> args, ReplyHandler on_reply) {
    const bool room = pending.size() < options.max_pending_replies &&
                      output.size() + writing.size() < options.max_output_bytes;
    if (phase != Phase::Ready || subscriber || args.empty() || !room || !format(args, output)) {
        counters.dropped.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    pending.push_back(std::move(on_reply));
    counters.commands.fetch_add(1, std::memory_order_relaxed);
    flush();
    return true;
}

// Before SUBSCRIBE went out on this connection, the handshake (or the next connection) sends
// every channel; a ready connection that has not subscribed yet becomes subscribed here.
void RedisClient::State::do_subscribe(std::string_view verb, std::string_view channel) {
    const bool subscribing = verb == "SUBSCRIBE";
    const bool live = phase == Phase::Ready || phase == Phase::Handshake;
    if (!live || (!subscribed_here && !(subscribing && phase == Phase::Ready)))
        return;
    const std::array<std::string_view, 2> args{verb, channel};
    send(args);
    subscribed_here = true;
    if (subscribing && phase == Phase::Handshake)
        ++awaiting_confirms;
}

// ---------------------------------------------------------------------------------------------
// RedisClient

RedisClient::RedisClient(asio::io_context& io, RedisUrl url, RedisClientOptions options)
    : state_(std::make_shared<State>(io, std::move(url), options)) {}

RedisClient::~RedisClient() {
    state_->stop();
}

void RedisClient::set_on_connected(ConnectedHandler handler) {
    state_->on_connected = std::move(handler);
}
void RedisClient::set_on_disconnected(DisconnectedHandler handler) {
    state_->on_disconnected = std::move(handler);
}
void RedisClient::set_on_message(MessageHandler handler) {
    state_->on_message = std::move(handler);
}

void RedisClient::start() {
    state_->start();
}
void RedisClient::stop() {
    state_->stop();
}

bool RedisClient::command(std::initializer_list<std::string_view> args, ReplyHandler on_reply) {
    return state_->submit(std::span<const std::string_view>(args.begin(), args.size()),
                          std::move(on_reply));
}

bool RedisClient::command(std::span<const std::string_view> args, ReplyHandler on_reply) {
    return state_->submit(args, std::move(on_reply));
}

void RedisClient::subscribe(std::string_view channel) {
    state_->subscriber = true;
    if (state_->channels.emplace(channel).second)
        state_->do_subscribe("SUBSCRIBE", channel);
}

void RedisClient::unsubscribe(std::string_view channel) {
    const auto it = state_->channels.find(channel);
    if (it == state_->channels.end())
        return;
    state_->channels.erase(it);
    state_->do_subscribe("UNSUBSCRIBE", channel);
}

bool RedisClient::connected() const {
    return state_->counters.connected.load(std::memory_order_relaxed);
}

RedisClientStats RedisClient::stats() const {
    const auto& c = state_->counters;
    RedisClientStats s;
    s.connects = c.connects.load(std::memory_order_relaxed);
    s.reconnects = c.reconnects.load(std::memory_order_relaxed);
    s.disconnects = c.disconnects.load(std::memory_order_relaxed);
    s.connect_failures = c.connect_failures.load(std::memory_order_relaxed);
    s.commands = c.commands.load(std::memory_order_relaxed);
    s.replies = c.replies.load(std::memory_order_relaxed);
    s.dropped = c.dropped.load(std::memory_order_relaxed);
    s.messages = c.messages.load(std::memory_order_relaxed);
    s.connected = c.connected.load(std::memory_order_relaxed);
    return s;
}

std::string RedisClient::last_error() const {
    return state_->last_error;
}

const RedisUrl& RedisClient::url() const {
    return state_->url;
}

} // namespace rtc::net

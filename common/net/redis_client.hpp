#pragma once
// A Redis client on Asio: hiredis is only the protocol library (redisFormatCommandArgv encodes
// commands, redisReader decodes replies); the socket, timers and reconnects are Asio's.
//
//   auto url = rtc::net::RedisUrl::parse("redis://:secret@127.0.0.1:6379/2");
//   rtc::net::RedisClient redis(io, *url);
//   redis.set_on_connected([&] {
//       redis.command({"SET", "k", "v"});
//       redis.command({"GET", "k"}, [](const rtc::net::RedisReply& r) { use(r.str()); });
//   });
//   redis.start();   // connects, AUTH, SELECT; reconnects with backoff until stop()
//
//   rtc::net::RedisClient sub(io, *url);          // a subscriber only receives
//   sub.set_on_message([](std::string_view channel, std::string_view payload) { ... });
//   sub.subscribe("news");
//   sub.start();
//
// Every call and every callback runs on the io_context's thread (stats() may be read from any
// thread). Commands are pipelined and their replies come back in order. A command is accepted
// only while the connection is ready (connected, authenticated, DB selected, channels
// subscribed) and within the output bounds; otherwise command() returns false and counts a drop:
// nothing is queued while disconnected. Commands in flight when the connection is lost get an
// empty reply (type None); they are not resent.
#include <asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

struct redisReply; // hiredis's reply object (hiredis/hiredis.h)

namespace rtc::net {

// redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]; HOST is a name, an IPv4 address or [IPv6].
// USER and PASSWORD may be percent-encoded (RFC 3986 §2.1).
struct RedisUrl {
    std::string host = "127.0.0.1"; // without brackets
    uint16_t port = 6379;
    std::string username; // Redis 6 ACL user; empty: AUTH with the password alone
    std::string password; // empty: no AUTH
    uint32_t db = 0;      // SELECT when non-zero

    // On failure returns nullopt and, if error is given, says what is wrong with the text.
    static std::optional<RedisUrl> parse(std::string_view text, std::string* error = nullptr);
    // "redis://:***@127.0.0.1:6379/2": the password is never shown.
    std::string to_string() const;

    bool operator==(const RedisUrl&) const = default;
};

enum class RedisReplyType : uint8_t { None, String, Array, Integer, Nil, Status, Error };

// A view of one decoded reply, valid only during the callback that receives it.
class RedisReply {
public:
    RedisReply() = default; // None: no reply (the connection was lost first)
    explicit RedisReply(const redisReply* reply) : reply_(reply) {}

    RedisReplyType type() const;
    bool has_value() const { return reply_ != nullptr; }
    bool is_error() const { return type() == RedisReplyType::Error; }
    // The text of a String, Status or Error reply; empty otherwise.
    std::string_view str() const;
    // The value of an Integer reply; 0 otherwise.
    long long integer() const;
    // Elements of an Array reply; 0 otherwise.
    std::size_t size() const;
    // An element of an Array reply; None when out of range or not an array.
    RedisReply operator[](std::size_t index) const;

private:
    const redisReply* reply_ = nullptr;
};

struct RedisClientOptions {
    // TCP connect plus AUTH, SELECT and SUBSCRIBE must finish within this.
    std::chrono::milliseconds connect_timeout{std::chrono::seconds(5)};
    // Wait before the next attempt after a failure or a lost connection: doubles per failure.
    std::chrono::milliseconds reconnect_min{100};
    std::chrono::milliseconds reconnect_max{std::chrono::seconds(5)};
    // A PING goes out at this period; nothing received by the next one drops the connection.
    // Zero disables the check.
    std::chrono::milliseconds ping_interval{std::chrono::seconds(5)};
    std::size_t max_output_bytes = 8 * 1024 * 1024; // commands not yet written to the socket
    std::size_t max_pending_replies = 100000;       // commands awaiting their reply
    std::size_t max_input_bytes = 64 * 1024 * 1024; // undecoded input (one large reply)
    std::size_t read_size = 16 * 1024;              // bytes per read
};

struct RedisClientStats {
    uint64_t connects = 0;         // connections that became ready
    uint64_t reconnects = 0;       // of those, the ones after the first
    uint64_t disconnects = 0;      // ready connections that were lost
    uint64_t connect_failures = 0; // attempts that never became ready
    uint64_t commands = 0;         // commands accepted by command()
    uint64_t replies = 0;          // replies and pushes decoded
    uint64_t dropped = 0;          // commands refused: not ready, subscriber, or over a bound
    uint64_t messages = 0;         // pub/sub messages delivered to on_message
    bool connected = false;        // gauge: ready now
};

class RedisClient {
public:
    using ReplyHandler = std::function<void(const RedisReply& reply)>;
    using MessageHandler = std::function<void(std::string_view channel, std::string_view payload)>;
    using ConnectedHandler = std::function<void()>;
    using DisconnectedHandler = std::function<void(std::string_view reason)>;

    RedisClient(asio::io_context& io, RedisUrl url, RedisClientOptions options = {});
    ~RedisClient(); // stop(); no callback runs afterwards
    RedisClient(const RedisClient&) = delete;
    RedisClient& operator=(const RedisClient&) = delete;

    // Ready (again): authenticated, DB selected, every channel subscribed.
    void set_on_connected(ConnectedHandler handler);
    // A ready connection was lost; failed attempts only update last_error().
    void set_on_disconnected(DisconnectedHandler handler);
    // A message on a subscribed channel.
    void set_on_message(MessageHandler handler);

    // Connects now and reconnects after every loss until stop().
    void start();
    // Closes the connection; no callback (not even a pending reply's) runs afterwards.
    void stop();

    // Queues one command (arguments are binary-safe); `on_reply` runs exactly once if it returns
    // true. False (counted as dropped) when not ready, when the client is a subscriber, or when
    // max_output_bytes / max_pending_replies is reached.
    bool command(std::initializer_list<std::string_view> args, ReplyHandler on_reply = {});
    bool command(std::span<const std::string_view> args, ReplyHandler on_reply = {});

    // Makes this client a subscriber (RESP2: a subscribed connection takes no other command).
    // Channels are subscribed again after every reconnect.
    void subscribe(std::string_view channel);
    void unsubscribe(std::string_view channel);

    bool connected() const;
    RedisClientStats stats() const;
    // Why the last attempt failed or the last connection was lost; empty if none did.
    std::string last_error() const;
    const RedisUrl& url() const;

    struct State;

private:
    std::shared_ptr<State> state_;
};

} // namespace rtc::net

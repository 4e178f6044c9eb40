#pragma once
// Helpers for the HttpServer tests: a test app whose WebSockets obey text commands, an event log
// the test thread waits on (bounded), a raw WebSocket client over a blocking socket, and a runner
// for /usr/bin/python3 with python3-websockets as a third-party client.
#include "net/http_server.hpp"
#include "net/io_pool.hpp"
#include "test_sockets.hpp"
#include "ws/frame.hpp"
#include "ws/handshake.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <future>
#include <mutex>
#include <poll.h>
#include <spawn.h>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <unordered_set>
#include <vector>

extern char** environ;

namespace rtc::net::test {

using namespace std::chrono_literals;

// Lines appended on the io thread, read and awaited on the test thread.
class EventLog {
public:
    void add(std::string line) {
        {
            std::lock_guard lock(mutex_);
            lines_.push_back(std::move(line));
        }
        cv_.notify_all();
    }
    std::vector<std::string> lines() const {
        std::lock_guard lock(mutex_);
        return lines_;
    }
    bool contains(const std::string& line) const {
        std::lock_guard lock(mutex_);
        return std::find(lines_.begin(), lines_.end(), line) != lines_.end();
    }
    std::size_t count_prefix(const std::string& prefix) const {
        std::lock_guard lock(mutex_);
        return static_cast<std::size_t>(std::count_if(
            lines_.begin(), lines_.end(), [&](const auto& l) { return l.rfind(prefix, 0) == 0; }));
    }
    // Waits (bounded) until `n` lines start with `prefix`.
    bool wait_prefix(const std::string& prefix, std::size_t n = 1,
                     std::chrono::milliseconds timeout = 5s) const {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, timeout, [&] {
            return static_cast<std::size_t>(
                       std::count_if(lines_.begin(), lines_.end(),
                                     [&](const auto& l) { return l.rfind(prefix, 0) == 0; })) >= n;
        });
    }
    // The first line starting with `prefix`, or "".
    std::string find_prefix(const std::string& prefix) const {
        std::lock_guard lock(mutex_);
        for (const auto& l : lines_)
            if (l.rfind(prefix, 0) == 0)
                return l;
        return {};
    }
    std::ptrdiff_t index_of(const std::string& line) const {
        std::lock_guard lock(mutex_);
        const auto it = std::find(lines_.begin(), lines_.end(), line);
        return it == lines_.end() ? -1 : it - lines_.begin();
    }

private:
    mutable std::mutex mutex_;
    mutable std::condition_variable cv_;
    std::vector<std::string> lines_;
};

class TestApp;

// Text commands: "close:CODE" closes with reason "bye-from-server"; "flood:N:SIZE" sends N
// messages of SIZE bytes until a send fails; "broadcast:TEXT" sends TEXT to every other socket;
// "kick" closes every other socket with 4002 then sends to each of them once more. Anything
// else is echoed with its type. The log gets "open:ID", "msg:ID:DATA" (first 32 bytes),
// "close:ID:CODE:REASON:CLEAN", "flood:ID:SENT:BUFFERED", "kick:ID:FAILED_SENDS".
class TestHandler final : public WebSocketHandler {
public:
    TestHandler(TestApp& app, WebSocket& ws, int id);
    ~TestHandler() override;
    void on_message(std::string_view data, bool binary) override;
    void on_close(uint16_t code, std::string_view reason, bool clean) override;
    WebSocket& socket() { return ws_; }

private:
    TestApp& app_;
    WebSocket& ws_;
    int id_;
    bool in_message_ = false;
    bool closed_ = false;
};

class TestApp final : public HttpApp {
public:
    EventLog log;
    std::string welcome; // sent from the factory when not empty

    HttpReply on_request(const http::Request& request, const RequestInfo& info) override {
        const auto path = request.path();
        if (path == "/throw")
            throw std::runtime_error("handler failure");
        if (path == "/hello")
            return {.status = 200, .content_type = "text/plain", .body = "hello", .headers = {}};
        if (path == "/info")
            return {.status = 200,
                    .content_type = "text/plain",
                    .body = std::string(request.method) + " " + std::string(request.target) + " " +
                            std::string(request.body) + " tls=" + (info.tls ? "1" : "0"),
                    .headers = {{"X-Test", "yes"}}};
        return {.status = 404, .content_type = "text/plain", .body = "not found", .headers = {}};
    }

    Upgrade on_upgrade(const http::Request& request, const RequestInfo&) override {
        const auto path = request.path();
        if (path == "/refuse")
            return Upgrade::refuse({.status = 401,
                                    .content_type = "text/plain",
                                    .body = "token required",
                                    .headers = {{"WWW-Authenticate", "Bearer"}}});
        if (path == "/null")
            return Upgrade::accept([](WebSocket&) { return nullptr; });
        const std::string protocol = path == "/chat" ? "chat" : "";
        return Upgrade::accept(
            [this](WebSocket& ws) {
                auto h = std::make_unique<TestHandler>(*this, ws, ++next_id_);
                if (!welcome.empty())
                    ws.send_text(welcome);
                return h;
            },
            protocol);
    }

    // io thread only
    std::unordered_set<TestHandler*> open;

private:
    int next_id_ = 0;
};

inline TestHandler::TestHandler(TestApp& app, WebSocket& ws, int id) : app_(app), ws_(ws), id_(id) {
    app_.open.insert(this);
    app_.log.add("open:" + std::to_string(id_));
}

inline TestHandler::~TestHandler() {
    app_.open.erase(this);
}

inline void TestHandler::on_message(std::string_view data, bool binary) {
    if (closed_)
        app_.log.add("used-after-close:" + std::to_string(id_));
    in_message_ = true;
    app_.log.add("msg:" + std::to_string(id_) + ":" + std::string(data.substr(0, 32)));
    const std::string text(data);
    if (!binary && text.rfind("close:", 0) == 0) {
        ws_.close(static_cast<uint16_t>(std::stoi(text.substr(6))), "bye-from-server");
    } else if (!binary && text.rfind("flood:", 0) == 0) {
        const auto colon = text.find(':', 6);
        const int n = std::stoi(text.substr(6, colon - 6));
        const std::string payload(std::stoul(text.substr(colon + 1)), 'f');
        int sent = 0;
        while (sent < n && ws_.send_binary(payload))
            ++sent;
        app_.log.add("flood:" + std::to_string(id_) + ":" + std::to_string(sent) + ":" +
                     std::to_string(ws_.buffered_output()));
    } else if (!binary && text.rfind("broadcast:", 0) == 0) {
        for (auto* other : app_.open)
            if (other != this)
                other->socket().send_text(text.substr(10));
    } else if (!binary && text == "kick") {
        const std::vector<TestHandler*> others(app_.open.begin(), app_.open.end());
        int failed = 0;
        for (auto* other : others)
            if (other != this)
                other->socket().close(4002, "kicked");
        for (auto* other : others)
            if (other != this && !other->socket().send_text("after kick"))
                ++failed;
        app_.log.add("kick:" + std::to_string(id_) + ":" + std::to_string(failed));
    } else if (binary) {
        ws_.send_binary(data);
    } else {
        ws_.send_text(data);
    }
    in_message_ = false;
}

inline void TestHandler::on_close(uint16_t code, std::string_view reason, bool clean) {
    if (in_message_)
        app_.log.add("reentered:" + std::to_string(id_));
    closed_ = true;
    app_.open.erase(this);
    // Sending from on_close is allowed and must fail quietly.
    const bool sent = ws_.send_text("too late");
    app_.log.add("close:" + std::to_string(id_) + ":" + std::to_string(code) + ":" +
                 std::string(reason) + ":" + (clean ? "1" : "0") + (sent ? ":sent" : ""));
}

// One HttpServer on 127.0.0.1, port 0, on its own io thread.
struct ServerFixture {
    explicit ServerFixture(HttpServerOptions options = {}) : pool(1) {
        server = HttpServer::start(pool.context(0), *util::Endpoint::parse("127.0.0.1:0"), app,
                                   std::move(options));
        pool.start();
        at = server->local_endpoint();
    }
    ~ServerFixture() {
        stop(200ms);
        pool.stop();
        pool.join();
    }
    // stop() and wait (bounded) for its completion.
    bool stop(std::chrono::milliseconds grace) {
        if (stopped)
            return true;
        stopped = true;
        auto done = std::make_shared<std::promise<void>>();
        auto future = done->get_future();
        server->stop(grace, [done] { done->set_value(); });
        return future.wait_for(grace + 5s) == std::future_status::ready;
    }
    TestApp app;
    IoPool pool;
    std::shared_ptr<HttpServer> server;
    util::Endpoint at;
    bool stopped = false;
};

// HTTP over a fresh connection; the whole answer up to the server's close.
inline std::string http_fetch(const util::Endpoint& at, const std::string& request) {
    FdSocket client(SOCK_STREAM, at);
    REQUIRE(client.connect(at));
    REQUIRE(client.send_all(request));
    std::string response;
    CHECK(client.recv_until_eof(response));
    return response;
}

// A WebSocket client on a blocking socket: masked frames out, every frame in, bounded waits.
class RawWsClient {
public:
    struct Frame {
        ws::EventKind kind = ws::EventKind::NeedMore; // NeedMore: EOF or timeout instead
        ws::Opcode opcode = ws::Opcode::Continuation;
        std::string payload;
        uint16_t code = 0;
        std::string reason;
    };

    explicit RawWsClient(const util::Endpoint& at, int timeout_ms = 5000)
        : socket_(SOCK_STREAM, at, timeout_ms),
          decoder_(ws::Role::Client, {.max_message = 1 << 24}) {
        connected_ = socket_.connect(at);
    }

    // Sends the opening handshake for `target`; true on a verified 101.
    bool open(const std::string& target = "/", std::vector<std::string> protocols = {}) {
        if (!connected_)
            return false;
        auto hs = ws::make_client_handshake({.host = "127.0.0.1",
                                             .target = target,
                                             .origin = {},
                                             .protocols = protocols,
                                             .headers = {}});
        if (!socket_.send_all(hs.request))
            return false;
        for (int i = 0; i < 64; ++i) {
            std::size_t used = 0;
            head = {};
            const auto status = ws::parse_response_head(buffer_, head, used);
            if (status == ws::HeadStatus::Error)
                return false;
            if (status == ws::HeadStatus::Complete) {
                buffer_.erase(0, used);
                return ws::verify_server_handshake(head, hs.key).empty();
            }
            const std::string more = socket_.recv_some();
            if (more.empty())
                return false;
            buffer_ += more;
        }
        return false;
    }

    bool send(ws::Opcode opcode, std::string_view payload, bool fin = true) {
        std::string out;
        ws::write_frame(out, opcode, payload, ws::Role::Client, fin);
        return socket_.send_all(out);
    }
    bool send_close(uint16_t code, std::string_view reason) {
        std::string out;
        ws::write_close(out, code, reason, ws::Role::Client);
        return socket_.send_all(out);
    }
    bool send_raw(std::string_view bytes) { return socket_.send_all(bytes); }

    // The next frame from the server (kind NeedMore on EOF or timeout).
    Frame next() {
        for (int i = 0; i < 100000; ++i) {
            std::size_t used = 0;
            const auto event = decoder_.next(
                {reinterpret_cast<const uint8_t*>(buffer_.data()), buffer_.size()}, used);
            Frame f;
            f.kind = event.kind;
            f.opcode = event.opcode;
            f.payload = std::string(event.payload);
            f.code = event.close_code;
            f.reason = std::string(event.reason);
            buffer_.erase(0, used);
            if (event.kind != ws::EventKind::NeedMore)
                return f;
            const std::string more = socket_.recv_some();
            if (more.empty())
                return {};
            buffer_ += more;
        }
        return {};
    }
    // Frames until a Close (returned) or EOF/timeout (kind NeedMore); `skipped` counts the rest.
    Frame next_close(std::size_t* skipped = nullptr) {
        for (int i = 0; i < 1000000; ++i) {
            Frame f = next();
            if (f.kind == ws::EventKind::Close || f.kind == ws::EventKind::NeedMore ||
                f.kind == ws::EventKind::Error)
                return f;
            if (skipped)
                ++*skipped;
        }
        return {};
    }
    // True once the server closed the TCP connection (EOF), within the socket timeout.
    bool wait_eof() {
        std::string rest;
        return socket_.recv_until_eof(rest);
    }

    ws::ResponseHead head;

private:
    FdSocket socket_;
    ws::Decoder decoder_;
    std::string buffer_;
    bool connected_ = false;
};

struct ProcessResult {
    int status = -1; // exit status, or -1 if killed or not started
    std::string out;
    std::string err;
};

// Runs /usr/bin/python3 -c SCRIPT ARGS..., killing it after `timeout`.
inline ProcessResult run_python(const std::string& script, const std::vector<std::string>& args,
                                std::chrono::milliseconds timeout = 30s) {
    ProcessResult result;
    int out_pipe[2], err_pipe[2];
    if (::pipe(out_pipe) != 0)
        return result;
    if (::pipe(err_pipe) != 0) {
        ::close(out_pipe[0]);
        ::close(out_pipe[1]);
        return result;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
    posix_spawn_file_actions_addclose(&actions, out_pipe[0]);
    posix_spawn_file_actions_addclose(&actions, err_pipe[0]);
    std::vector<std::string> argv_strings = {"/usr/bin/python3", "-c", script};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& s : argv_strings)
        argv.push_back(s.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    if (rc != 0) {
        ::close(out_pipe[0]);
        ::close(err_pipe[0]);
        return result;
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool out_open = true, err_open = true, killed = false;
    while (out_open || err_open) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            ::kill(pid, SIGKILL);
            killed = true;
            break;
        }
        pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
        if (!out_open)
            fds[0].fd = -1;
        if (!err_open)
            fds[1].fd = -1;
        if (::poll(fds, 2, static_cast<int>(left.count())) < 0)
            continue;
        char buf[4096];
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0)
                continue;
            const ssize_t n = ::read(fds[i].fd, buf, sizeof(buf));
            if (n <= 0) {
                (i == 0 ? out_open : err_open) = false;
                continue;
            }
            (i == 0 ? result.out : result.err).append(buf, static_cast<std::size_t>(n));
        }
    }
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!killed && WIFEXITED(status))
        result.status = WEXITSTATUS(status);
    return result;
}

} // namespace rtc::net::test

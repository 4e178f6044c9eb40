#pragma once
// For the Redis client tests: a throwaway redis-server on 127.0.0.1 (a free port, no
// persistence, ready once it logs "Ready to accept connections", killed by the destructor) and a
// bounded loop that runs an io_context until a condition holds.
#include "net/redis_client.hpp"

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <fcntl.h>
#include <functional>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace rtc::net::test {

// Runs `io` until `done()` holds or `timeout` passes; true if it held.
inline bool run_until(asio::io_context& io, const std::function<bool()>& done,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto guard = asio::make_work_guard(io);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline)
            return false;
        io.run_one_for(std::chrono::milliseconds(20));
    }
    return true;
}

// Runs `io` for `duration`, whatever happens.
inline void run_for(asio::io_context& io, std::chrono::milliseconds duration) {
    auto guard = asio::make_work_guard(io);
    io.run_for(duration);
    io.restart();
}

// A loopback TCP port nobody listens on right now.
inline uint16_t free_tcp_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    uint16_t port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
        port = ntohs(addr.sin_port);
    ::close(fd);
    return port;
}

class RedisServerProcess {
public:
    static constexpr const char* kBinary = "/usr/bin/redis-server";

    // Without redis-server the tests that need it pass vacuously with a message, except under
    // CI=true (scripts/deps installs it there), where they fail.
    static bool available() { return ::access(kBinary, X_OK) == 0; }
    static bool required() {
        const char* ci = std::getenv("CI");
        return ci != nullptr && std::string(ci) == "true";
    }

    explicit RedisServerProcess(std::vector<std::string> extra_args = {})
        : port_(free_tcp_port()), extra_args_(std::move(extra_args)) {}
    ~RedisServerProcess() { kill(); }
    RedisServerProcess(const RedisServerProcess&) = delete;
    RedisServerProcess& operator=(const RedisServerProcess&) = delete;

    uint16_t port() const { return port_; }
    RedisUrl url() const {
        RedisUrl url;
        url.port = port_;
        return url;
    }
    const std::string& log() const { return log_; }

    // Starts redis-server on port() and waits (at most `timeout`) until it accepts connections.
    bool start(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        if (pid_ > 0 || port_ == 0)
            return false;
        log_.clear();
        std::vector<std::string> args{kBinary,
                                      "--port",
                                      std::to_string(port_),
                                      "--bind",
                                      "127.0.0.1",
                                      "--save",
                                      "",
                                      "--appendonly",
                                      "no",
                                      "--daemonize",
                                      "no",
                                      "--dir",
                                      "/tmp",
                                      "--logfile",
                                      "",
                                      "--loglevel",
                                      "notice",
                                      "--databases",
                                      "16"};
        args.insert(args.end(), extra_args_.begin(), extra_args_.end());
        std::vector<char*> argv;
        for (auto& arg : args)
            argv.push_back(arg.data());
        argv.push_back(nullptr);

        int pipe_fds[2];
        if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
            return false;
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
        posix_spawn_file_actions_addclosefrom_np(&actions, 3); // no test socket leaks into it
        pid_t pid = -1;
        const int rc = ::posix_spawn(&pid, kBinary, &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(pipe_fds[1]);
        if (rc != 0) {
            ::close(pipe_fds[0]);
            return false;
        }
        pid_ = pid;
        const bool ready = wait_ready(pipe_fds[0], timeout);
        // Redis ignores SIGPIPE: once the pipe is closed its later log lines are just lost.
        ::close(pipe_fds[0]);
        if (!ready)
            kill();
        return ready;
    }

    // SIGKILL: no goodbye to the clients, as in a crash.
    void kill() {
        if (pid_ <= 0)
            return;
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
    }

private:
    bool wait_ready(int fd, std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        char buf[4096];
        while (log_.find("Ready to accept connections") == std::string::npos) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0)
                return false;
            pollfd pfd{fd, POLLIN, 0};
            const int n = ::poll(&pfd, 1, static_cast<int>(left.count()));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return false;
            const ssize_t got = ::read(fd, buf, sizeof(buf));
            if (got <= 0)
                return false; // it exited (port taken?); log() says why
            log_.append(buf, static_cast<std::size_t>(got));
        }
        return true;
    }

    uint16_t port_;
    std::vector<std::string> extra_args_;
    pid_t pid_ = -1;
    std::string log_;
};

} // namespace rtc::net::test

// Skips the calling test case when redis-server is missing (a failure under CI=true).
#define RTC_REQUIRE_REDIS_SERVER()                                                                 \
    do {                                                                                           \
        if (!::rtc::net::test::RedisServerProcess::available()) {                                  \
            REQUIRE_FALSE(::rtc::net::test::RedisServerProcess::required());                       \
            MESSAGE("redis-server is not installed: skipped");                                     \
            return;                                                                                \
        }                                                                                          \
    } while (false)

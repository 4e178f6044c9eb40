#pragma once
// Blocking client sockets for the net tests, every call bounded by a receive/send timeout.
#include "net/socket_address.hpp"

#include <cerrno>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <vector>

namespace rtc::net::test {

class FdSocket {
public:
    FdSocket(int type, const util::Endpoint& peer_family, int timeout_ms = 5000) {
        fd_ = ::socket(peer_family.address.is_v4() ? AF_INET : AF_INET6, type, 0);
        timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    }
    ~FdSocket() {
        if (fd_ >= 0)
            ::close(fd_);
    }
    FdSocket(const FdSocket&) = delete;
    FdSocket& operator=(const FdSocket&) = delete;
    int fd() const { return fd_; }

    bool connect(const util::Endpoint& to) {
        sockaddr_storage ss;
        const socklen_t len = to_sockaddr(to, ss);
        return ::connect(fd_, reinterpret_cast<sockaddr*>(&ss), len) == 0;
    }
    util::Endpoint local() const {
        sockaddr_storage ss{};
        socklen_t len = sizeof(ss);
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len);
        return from_sockaddr(ss, len).value_or(util::Endpoint{});
    }
    bool send_all(std::string_view data) {
        while (!data.empty()) {
            const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
            if (n <= 0)
                return false;
            data.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }
    // Up to `max` bytes; empty on EOF, timeout or error.
    std::string recv_some(std::size_t max = 65536) {
        std::string buf(max, '\0');
        const ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
        if (n <= 0)
            return {};
        buf.resize(static_cast<std::size_t>(n));
        return buf;
    }
    // Exactly `n` bytes unless EOF/timeout comes first.
    std::string recv_exact(std::size_t n) {
        std::string out;
        while (out.size() < n) {
            const std::string part = recv_some(n - out.size());
            if (part.empty())
                break;
            out += part;
        }
        return out;
    }
    // Reads until the peer closes (true) or a timeout/error (false). Bounded by `max` bytes.
    bool recv_until_eof(std::string& out, std::size_t max = 64 * 1024 * 1024) {
        char buf[16384];
        while (out.size() < max) {
            const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
            if (n == 0)
                return true;
            if (n < 0)
                return errno == ECONNRESET;
            out.append(buf, static_cast<std::size_t>(n));
        }
        return false;
    }

private:
    int fd_ = -1;
};

} // namespace rtc::net::test

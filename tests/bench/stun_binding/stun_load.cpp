#include "stun_load.hpp"

#include "net/socket_address.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <random>
#include <sstream>
#include <stdexcept>
#include <utility>
#include <vector>

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace rtc::bench {
namespace {

constexpr uint32_t kMagicCookie = 0x2112A442; // RFC 8489 §5
constexpr std::size_t kHeaderSize = 20;       // RFC 8489 §5
constexpr uint16_t kBindingRequest = 0x0001;
constexpr uint16_t kBindingSuccess = 0x0101;
constexpr int kBatch = 64;
constexpr std::size_t kReceiveSize = 2048;
constexpr int64_t kExpireEveryNs = 50'000'000;

using TransactionId = std::array<uint8_t, 12>;

int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// xoshiro256** (Blackman, Vigna): fast, good enough for transaction ids that only need to be
// unpredictable to collisions, not to attackers.
class Random {
public:
    Random() {
        std::random_device device;
        for (auto& word : state_)
            word = (static_cast<uint64_t>(device()) << 32) ^ device();
    }
    uint64_t next() {
        uint64_t result = rotl(state_[1] * 5, 7) * 9;
        uint64_t t = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= t;
        state_[3] = rotl(state_[3], 45);
        return result;
    }
    void fill(TransactionId& id) {
        uint64_t a = next(), b = next();
        std::memcpy(id.data(), &a, 8);
        std::memcpy(id.data() + 8, &b, 4);
    }

private:
    static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::array<uint64_t, 4> state_{};
};

// Outstanding requests of one socket: open addressing with linear probing and tombstones,
// sized once up front (no allocation while running).
class PendingTable {
public:
    explicit PendingTable(std::size_t max_outstanding)
        : slots_(std::bit_ceil(std::max<std::size_t>(16, max_outstanding * 2))),
          scratch_(slots_.size()), mask_(slots_.size() - 1), limit_(slots_.size() / 2) {}

    std::size_t size() const { return full_; }
    bool has_room() const { return full_ < limit_; }

    void insert(const TransactionId& id, int64_t sent_ns) {
        if (full_ + tombstones_ >= slots_.size() * 3 / 4)
            rehash();
        for (std::size_t i = home(id);; i = (i + 1) & mask_) {
            if (slots_[i].state != State::Full) {
                if (slots_[i].state == State::Tombstone)
                    --tombstones_;
                slots_[i] = Slot{id, sent_ns, State::Full};
                ++full_;
                return;
            }
        }
    }

    // The send time of id, removing it; -1 if it is not outstanding.
    int64_t take(const TransactionId& id) {
        for (std::size_t i = home(id), n = 0; n < slots_.size(); i = (i + 1) & mask_, ++n) {
            Slot& slot = slots_[i];
            if (slot.state == State::Empty)
                return -1;
            if (slot.state == State::Full && slot.id == id) {
                slot.state = State::Tombstone;
                --full_;
                ++tombstones_;
                return slot.sent_ns;
            }
        }
        return -1;
    }

    // Removes every request sent before cutoff; returns how many.
    std::size_t expire(int64_t cutoff) {
        std::size_t removed = 0;
        for (Slot& slot : slots_) {
            if (slot.state == State::Full && slot.sent_ns < cutoff) {
                slot.state = State::Tombstone;
                ++removed;
            }
        }
        full_ -= removed;
        tombstones_ += removed;
        return removed;
    }

private:
    enum class State : uint8_t { Empty, Full, Tombstone };
    struct Slot {
        TransactionId id{};
        int64_t sent_ns = 0;
        State state = State::Empty;
    };

    std::size_t home(const TransactionId& id) const {
        uint64_t h;
        std::memcpy(&h, id.data(), 8); // the ids are random: their bytes are a fine hash
        return static_cast<std::size_t>(h) & mask_;
    }

    void rehash() {
        std::swap(slots_, scratch_);
        std::fill(slots_.begin(), slots_.end(), Slot{});
        full_ = tombstones_ = 0;
        for (const Slot& slot : scratch_)
            if (slot.state == State::Full)
                insert(slot.id, slot.sent_ns);
    }

    std::vector<Slot> slots_;
    std::vector<Slot> scratch_;
    std::size_t mask_;
    std::size_t limit_;
    std::size_t full_ = 0;
    std::size_t tombstones_ = 0;
};

class FileDescriptor {
public:
    explicit FileDescriptor(int fd = -1) : fd_(fd) {}
    FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    FileDescriptor& operator=(FileDescriptor&& other) noexcept {
        std::swap(fd_, other.fd_);
        return *this;
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor() {
        if (fd_ >= 0)
            ::close(fd_);
    }
    int get() const { return fd_; }

private:
    int fd_;
};

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(what + ": " + std::strerror(errno));
}

struct ClientSocket {
    FileDescriptor fd;
    PendingTable pending;
};

class Generator {
public:
    explicit Generator(const LoadConfig& config) : config_(config) {
        if (config.sockets < 1 || config.window < 1 || config.duration.count() <= 0)
            throw std::runtime_error("sockets, window and duration must be positive");
        sockaddr_storage server{};
        socklen_t server_length = net::to_sockaddr(config.server, server);
        epoll_ = FileDescriptor(::epoll_create1(EPOLL_CLOEXEC));
        if (epoll_.get() < 0)
            fail("epoll_create1");
        std::size_t per_socket = static_cast<std::size_t>(config.window);
        if (rate_mode()) {
            double in_flight = config.rate * (config.timeout.count() + 100) / 1000.0;
            per_socket = static_cast<std::size_t>(in_flight / config.sockets) + kBatch;
        }
        sockets_.reserve(static_cast<std::size_t>(config.sockets));
        for (int i = 0; i < config.sockets; ++i) {
            FileDescriptor fd(
                ::socket(server.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
            if (fd.get() < 0)
                fail("socket");
            int size = 1 << 20; // capped by net.core.{r,w}mem_max
            ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
            ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
            if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&server), server_length) < 0)
                fail("connect " + config.server.to_string());
            epoll_event event{};
            event.events = EPOLLIN;
            event.data.u32 = static_cast<uint32_t>(i);
            if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd.get(), &event) < 0)
                fail("epoll_ctl");
            sockets_.push_back(ClientSocket{std::move(fd), PendingTable(per_socket)});
        }
        for (int i = 0; i < kBatch; ++i) {
            send_iov_[i] = iovec{send_buffers_[i].data(), kHeaderSize};
            receive_iov_[i] = iovec{receive_buffers_[i].data(), kReceiveSize};
        }
    }

    LoadResult run() {
        const int64_t start = now_ns();
        const int64_t end = start + config_.duration.count() * 1'000'000;
        const int64_t drain_end = end + config_.drain.count() * 1'000'000;
        const int64_t timeout_ns = config_.timeout.count() * 1'000'000;
        int64_t next_expire = start + kExpireEveryNs;
        uint64_t scheduled = 0;
        std::size_t next_socket = 0;
        std::array<epoll_event, kBatch> events{};
        for (;;) {
            int64_t now = now_ns();
            bool sending = now < end;
            if (!sending && (now >= drain_end || outstanding_ == 0))
                break;
            if (sending && rate_mode()) {
                auto due_total =
                    static_cast<uint64_t>(static_cast<double>(now - start) * config_.rate / 1e9);
                // Never catch up by more than 50 ms worth of requests in one burst: a stall
                // longer than that (a descheduled generator) is counted as send_blocked.
                uint64_t burst_cap = static_cast<uint64_t>(config_.rate / 20) + 1;
                if (due_total > scheduled + burst_cap) {
                    result_.send_blocked += due_total - scheduled - burst_cap;
                    scheduled = due_total - burst_cap;
                }
                for (std::size_t tries = 0; scheduled < due_total && tries < sockets_.size();
                     ++tries) {
                    auto want = static_cast<int>(std::min<uint64_t>(due_total - scheduled, 8));
                    scheduled += static_cast<uint64_t>(want);
                    send_batch(sockets_[next_socket], want);
                    next_socket = (next_socket + 1) % sockets_.size();
                }
            } else if (sending) {
                for (ClientSocket& s : sockets_) {
                    auto room =
                        static_cast<int>(config_.window) - static_cast<int>(s.pending.size());
                    if (room > 0)
                        send_batch(s, std::min(room, kBatch));
                }
            }
            // Below 20,000/s a 1 ms wait keeps the pace; above, spin (the generator has a core).
            bool busy = sending && rate_mode() && config_.rate >= 20000;
            int ready = ::epoll_wait(epoll_.get(), events.data(), kBatch, busy ? 0 : 1);
            for (int i = 0; i < ready; ++i)
                receive_all(sockets_[events[static_cast<std::size_t>(i)].data.u32]);
            if (now >= next_expire) {
                for (ClientSocket& s : sockets_) {
                    std::size_t expired = s.pending.expire(now - timeout_ns);
                    result_.lost += expired;
                    outstanding_ -= expired;
                }
                next_expire = now + kExpireEveryNs;
            }
        }
        result_.lost += outstanding_;
        result_.seconds = static_cast<double>(config_.duration.count()) / 1000.0;
        return result_;
    }

private:
    bool rate_mode() const { return config_.rate > 0; }

    void send_batch(ClientSocket& s, int count) {
        if (count <= 0)
            return;
        if (!s.pending.has_room()) {
            result_.send_blocked += static_cast<uint64_t>(count);
            return;
        }
        std::array<mmsghdr, kBatch> messages{};
        for (int i = 0; i < count; ++i) {
            auto& buffer = send_buffers_[i];
            random_.fill(ids_[i]);
            // RFC 8489 §5: type, length 0 (no attributes), magic cookie, transaction id.
            buffer[0] = static_cast<uint8_t>(kBindingRequest >> 8);
            buffer[1] = static_cast<uint8_t>(kBindingRequest & 0xFF);
            buffer[2] = buffer[3] = 0;
            uint32_t cookie = htonl(kMagicCookie);
            std::memcpy(buffer.data() + 4, &cookie, 4);
            std::memcpy(buffer.data() + 8, ids_[i].data(), 12);
            messages[i].msg_hdr.msg_iov = &send_iov_[i];
            messages[i].msg_hdr.msg_iovlen = 1;
        }
        int64_t sent_at = now_ns();
        int sent = ::sendmmsg(s.fd.get(), messages.data(), static_cast<unsigned>(count), 0);
        if (sent < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
                result_.send_blocked += static_cast<uint64_t>(count);
            else
                result_.send_errors += static_cast<uint64_t>(count);
            return;
        }
        result_.send_blocked += static_cast<uint64_t>(count - sent);
        for (int i = 0; i < sent; ++i)
            s.pending.insert(ids_[i], sent_at);
        result_.sent += static_cast<uint64_t>(sent);
        outstanding_ += static_cast<uint64_t>(sent);
    }

    void receive_all(ClientSocket& s) {
        for (int rounds = 0; rounds < 16; ++rounds) { // bounded: others get their turn
            std::array<mmsghdr, kBatch> messages{};
            for (int i = 0; i < kBatch; ++i) {
                messages[i].msg_hdr.msg_iov = &receive_iov_[i];
                messages[i].msg_hdr.msg_iovlen = 1;
            }
            int n = ::recvmmsg(s.fd.get(), messages.data(), kBatch, MSG_DONTWAIT, nullptr);
            if (n <= 0)
                return; // EAGAIN, or ECONNREFUSED from an ICMP error: nothing more now
            int64_t received_at = now_ns();
            for (int i = 0; i < n; ++i)
                handle_answer(s, receive_buffers_[i].data(), messages[i].msg_len, received_at);
            if (n < kBatch)
                return;
        }
    }

    void handle_answer(ClientSocket& s, const uint8_t* data, std::size_t size, int64_t now) {
        uint32_t cookie;
        if (size < kHeaderSize ||
            (std::memcpy(&cookie, data + 4, 4), ntohl(cookie) != kMagicCookie)) {
            ++result_.invalid;
            return;
        }
        TransactionId id;
        std::memcpy(id.data(), data + 8, 12);
        int64_t sent_at = s.pending.take(id);
        if (sent_at < 0) {
            ++result_.late;
            return;
        }
        --outstanding_;
        uint16_t type = static_cast<uint16_t>((data[0] << 8) | data[1]);
        if (type != kBindingSuccess) {
            ++result_.invalid; // an error response: answered, but not served
            return;
        }
        ++result_.answered;
        result_.latency.record(now - sent_at);
    }

    const LoadConfig& config_;
    FileDescriptor epoll_;
    std::vector<ClientSocket> sockets_;
    Random random_;
    LoadResult result_;
    uint64_t outstanding_ = 0;
    std::array<std::array<uint8_t, kHeaderSize>, kBatch> send_buffers_{};
    std::array<TransactionId, kBatch> ids_{};
    std::array<iovec, kBatch> send_iov_{};
    std::array<std::array<uint8_t, kReceiveSize>, kBatch> receive_buffers_{};
    std::array<iovec, kBatch> receive_iov_{};
};

} // namespace

LoadResult run_load(const LoadConfig& config) {
    Generator generator(config);
    return generator.run();
}

std::string to_json(const LoadConfig& config, const LoadResult& r) {
    std::ostringstream out;
    auto us = [&](double q) { return static_cast<double>(r.latency.percentile(q)) / 1000.0; };
    out << "{\"mode\":\"" << (config.rate > 0 ? "rate" : "window") << "\""
        << ",\"server\":\"" << config.server.to_string() << "\""
        << ",\"sockets\":" << config.sockets << ",\"window\":" << config.window
        << ",\"rate_target\":" << config.rate << ",\"seconds\":" << r.seconds
        << ",\"sent\":" << r.sent << ",\"answered\":" << r.answered << ",\"lost\":" << r.lost
        << ",\"late\":" << r.late << ",\"invalid\":" << r.invalid
        << ",\"send_blocked\":" << r.send_blocked << ",\"send_errors\":" << r.send_errors
        << ",\"answered_per_second\":" << std::llround(r.answered_per_second())
        << ",\"loss\":" << r.loss_ratio() << ",\"latency_us\":{\"p50\":" << us(0.5)
        << ",\"p90\":" << us(0.9) << ",\"p99\":" << us(0.99) << ",\"p999\":" << us(0.999)
        << ",\"max\":" << static_cast<double>(r.latency.max()) / 1000.0 << "}}";
    return out.str();
}

} // namespace rtc::bench

#include "load_generator.hpp"

#include "app/exit_codes.hpp"
#include "crypto/random.hpp"
#include "net/udp_batch_socket.hpp"

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <vector>

namespace rtc::probe_tool {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kTick = std::chrono::milliseconds(1);
constexpr int64_t kExpireEveryNs = 20'000'000;
constexpr std::size_t kSendQueue = 1024; // datagrams per socket between two flushes
constexpr int kSocketBuffer = 1 << 20;   // capped by net.core.{r,w}mem_max

int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
        .count();
}

// SplitMix64 (Steele, Lea, Flood): transaction tags only need to be distinct and not
// guessable by the network path; the seed is from the system's entropy.
class TagSource {
public:
    TagSource() : state_(crypto::random_u64()) {}
    uint64_t next() {
        uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }

private:
    uint64_t state_;
};

class StunLoad {
public:
    explicit StunLoad(const LoadSettings& s)
        : settings_(s), timer_(io_), flight_(capacity(s)),
          per_socket_(static_cast<std::size_t>(s.sockets), 0),
          expired_(static_cast<std::size_t>(s.sockets), 0) {
        net::UdpBatchOptions options;
        options.max_datagram = 1500;
        options.send_queue = kSendQueue;
        options.reuse_port = false;
        options.receive_buffer = kSocketBuffer;
        options.send_buffer = kSocketBuffer;
        const util::Endpoint local{util::IpAddress::any(s.server.address.family()), 0};
        for (int i = 0; i < s.sockets; ++i) {
            std::error_code ec;
            auto socket = net::UdpBatchSocket::open(io_, local, options, ec);
            if (!socket)
                throw app::ToolError("cannot open UDP socket " + std::to_string(i + 1) + ": " +
                                         ec.message(),
                                     "lower --sockets");
            sockets_.push_back(std::move(socket));
        }
    }

    LoadReport run() {
        start_ns_ = now_ns();
        end_ns_ = start_ns_ + std::chrono::nanoseconds(settings_.duration).count();
        next_expire_ns_ = start_ns_ + kExpireEveryNs;
        for (std::size_t i = 0; i < sockets_.size(); ++i) {
            sockets_[i]->start(
                [this, i](net::UdpBatchSocket&, std::span<const net::ReceivedDatagram> batch) {
                    on_batch(static_cast<uint32_t>(i), batch);
                });
        }
        next_tick_ = Clock::now();
        on_tick();
        io_.run();
        for (const auto& socket : sockets_)
            report_.send_errors += socket->stats().send_errors;
        return report_;
    }

private:
    static std::size_t capacity(const LoadSettings& s) {
        if (s.rate <= 0)
            return static_cast<std::size_t>(s.sockets) * static_cast<std::size_t>(s.window);
        // Everything sent within one timeout plus one expiry period may be in flight.
        const double seconds = static_cast<double>(s.timeout.count()) / 1000.0 + 0.05;
        const double slots = s.rate * seconds * 1.25 + 1024;
        return static_cast<std::size_t>(std::min(slots, 2.0e6)); // 64 MiB at most
    }

    bool sending(int64_t now) const {
        return now < end_ns_ && (settings_.count == 0 || report_.sent < settings_.count);
    }

    // One request on socket i; false when nothing could be sent.
    bool send_one(uint32_t i, int64_t now) {
        stun::TransactionId id;
        if (!flight_.start(i, now, tags_.next(), id)) {
            ++report_.not_sent;
            return false;
        }
        std::array<uint8_t, probe::kBindingRequestSize> request;
        probe::write_binding_request(request, id);
        if (!sockets_[i]->send(request, settings_.server)) {
            flight_.finish(i, id);
            ++report_.not_sent;
            return false;
        }
        ++report_.sent;
        ++per_socket_[i];
        return true;
    }

    void fill_window(uint32_t i, int64_t now) {
        const auto window = static_cast<uint32_t>(settings_.window);
        while (per_socket_[i] < window && sending(now) && send_one(i, now)) {
        }
    }

    void send_due(int64_t now) {
        if (settings_.rate <= 0) {
            for (uint32_t i = 0; i < sockets_.size(); ++i)
                fill_window(i, now);
            return;
        }
        const auto due =
            static_cast<uint64_t>(static_cast<double>(now - start_ns_) * settings_.rate / 1e9);
        // A stall longer than 50 ms (the process was descheduled) is not caught up in a burst.
        const auto burst = static_cast<uint64_t>(settings_.rate / 20) + 1;
        if (due > scheduled_ + burst) {
            report_.not_sent += due - scheduled_ - burst;
            scheduled_ = due - burst;
        }
        // Spread over the sockets a few at a time; each socket's queue takes kSendQueue a tick.
        const uint64_t per_tick = static_cast<uint64_t>(sockets_.size()) * kSendQueue;
        for (uint64_t n = 0; scheduled_ < due && n < per_tick && sending(now); ++n) {
            ++scheduled_;
            send_one(next_socket_, now);
            if (++round_ == 8) {
                round_ = 0;
                next_socket_ = (next_socket_ + 1) % static_cast<uint32_t>(sockets_.size());
            }
        }
    }

    void expire(int64_t now) {
        std::fill(expired_.begin(), expired_.end(), 0u);
        report_.lost +=
            flight_.expire(now - std::chrono::nanoseconds(settings_.timeout).count(), expired_);
        for (std::size_t i = 0; i < expired_.size(); ++i)
            per_socket_[i] -= expired_[i];
    }

    void on_batch(uint32_t i, std::span<const net::ReceivedDatagram> batch) {
        const int64_t now = now_ns();
        for (const auto& d : batch) {
            const auto answer = probe::read_binding_answer(d.data);
            if (answer.kind == probe::AnswerKind::NotStun) {
                ++report_.invalid;
                continue;
            }
            const auto sent_at = flight_.finish(i, answer.id);
            if (!sent_at) {
                ++report_.late;
                continue;
            }
            --per_socket_[i];
            if (answer.kind == probe::AnswerKind::Success) {
                ++report_.answered;
                report_.latency.record(now - *sent_at);
            } else {
                ++report_.error_responses;
            }
        }
        if (settings_.rate <= 0 && !finished_)
            fill_window(i, now);
    }

    void on_tick() {
        const int64_t now = now_ns();
        const bool was_sending = sending(now);
        if (was_sending) {
            send_due(now);
            sent_until_ns_ = now;
        } else if (!send_ended_) {
            send_ended_ = true;
            sent_until_ns_ = now;
            drain_end_ns_ = now + std::chrono::nanoseconds(settings_.timeout).count();
        }
        if (now >= next_expire_ns_) {
            expire(now);
            next_expire_ns_ = now + kExpireEveryNs;
        }
        if (send_ended_ && (flight_.size() == 0 || now >= drain_end_ns_)) {
            finish();
            return;
        }
        next_tick_ += kTick;
        if (next_tick_ < Clock::now())
            next_tick_ = Clock::now();
        timer_.expires_at(next_tick_);
        timer_.async_wait([this](const std::error_code& ec) {
            if (!ec)
                on_tick();
        });
    }

    void finish() {
        finished_ = true;
        report_.lost += flight_.expire(INT64_MAX);
        report_.seconds = static_cast<double>(sent_until_ns_ - start_ns_) / 1e9;
        for (const auto& socket : sockets_)
            socket->close();
    }

    const LoadSettings& settings_;
    asio::io_context io_;
    asio::steady_timer timer_;
    std::vector<std::shared_ptr<net::UdpBatchSocket>> sockets_;
    probe::InFlight flight_;
    std::vector<uint32_t> per_socket_; // requests in flight per socket
    std::vector<uint32_t> expired_;    // scratch for expire()
    TagSource tags_;
    LoadReport report_;
    Clock::time_point next_tick_;
    int64_t start_ns_ = 0;
    int64_t end_ns_ = 0;
    int64_t sent_until_ns_ = 0;
    int64_t drain_end_ns_ = 0;
    int64_t next_expire_ns_ = 0;
    uint64_t scheduled_ = 0;
    uint32_t next_socket_ = 0;
    int round_ = 0;
    bool send_ended_ = false;
    bool finished_ = false;
};

} // namespace

LoadReport run_stun_load(const LoadSettings& settings) {
    StunLoad load(settings);
    return load.run();
}

} // namespace rtc::probe_tool

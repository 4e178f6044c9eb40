#include "load_engine.hpp"

#include "crypto/random.hpp"
#include "net/udp_batch_socket.hpp"

#include <algorithm>

namespace rtc::probe_tool {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kTick = std::chrono::milliseconds(1);
constexpr int64_t kExpireEveryNs = 20'000'000;
constexpr std::size_t kMaxRequest = 1500;

std::size_t capacity(const LoadPacing& p, std::size_t sockets) {
    if (p.rate <= 0)
        return sockets * static_cast<std::size_t>(p.window);
    // Everything sent within one timeout plus one expiry period may be in flight.
    const double seconds = static_cast<double>(p.timeout.count()) / 1000.0 + 0.05;
    const double slots = p.rate * seconds * 1.25 + 1024;
    return static_cast<std::size_t>(std::min(slots, 2.0e6)); // 64 MiB at most
}

} // namespace

int64_t load_now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
        .count();
}

LoadEngine::LoadEngine(asio::io_context& io, const LoadPacing& pacing, const Sockets& sockets,
                       LoadTraffic& traffic)
    : pacing_(pacing), sockets_(sockets), traffic_(traffic), timer_(io),
      flight_(capacity(pacing, sockets.size())), per_socket_(sockets.size(), 0),
      expired_(sockets.size(), 0), scratch_(kMaxRequest), tag_state_(crypto::random_u64()) {}

uint64_t LoadEngine::next_tag() {
    uint64_t z = (tag_state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void LoadEngine::start(std::function<void()> done) {
    done_ = std::move(done);
    started_ = true;
    start_ns_ = load_now_ns();
    end_ns_ = start_ns_ + std::chrono::nanoseconds(pacing_.duration).count();
    next_expire_ns_ = start_ns_ + kExpireEveryNs;
    next_tick_ = Clock::now();
    on_tick();
}

bool LoadEngine::sending(int64_t now) const {
    return now < end_ns_ && (pacing_.count == 0 || report_.sent < pacing_.count);
}

bool LoadEngine::send_one(uint32_t i, int64_t now) {
    stun::TransactionId id;
    if (!flight_.start(i, now, next_tag(), id)) {
        ++report_.not_sent;
        return false;
    }
    const auto request = traffic_.write_request(i, id, scratch_);
    if (request.empty() || !sockets_[i]->send(request, traffic_.destination(i))) {
        flight_.finish(i, id);
        ++report_.not_sent;
        return false;
    }
    ++report_.sent;
    ++per_socket_[i];
    return true;
}

void LoadEngine::fill_window(uint32_t i, int64_t now) {
    const auto window = static_cast<uint32_t>(pacing_.window);
    while (per_socket_[i] < window && sending(now) && send_one(i, now)) {
    }
}

void LoadEngine::send_due(int64_t now) {
    if (pacing_.rate <= 0) {
        for (uint32_t i = 0; i < sockets_.size(); ++i)
            fill_window(i, now);
        return;
    }
    const auto due =
        static_cast<uint64_t>(static_cast<double>(now - start_ns_) * pacing_.rate / 1e9);
    // A stall longer than 50 ms (the process was descheduled) is not caught up in a burst.
    const auto burst = static_cast<uint64_t>(pacing_.rate / 20) + 1;
    if (due > scheduled_ + burst) {
        report_.not_sent += due - scheduled_ - burst;
        scheduled_ = due - burst;
    }
    // Spread over the sockets a few at a time; each socket's queue takes kLoadSendQueue a tick.
    const uint64_t per_tick = static_cast<uint64_t>(sockets_.size()) * kLoadSendQueue;
    for (uint64_t n = 0; scheduled_ < due && n < per_tick && sending(now); ++n) {
        ++scheduled_;
        send_one(next_socket_, now);
        if (++round_ == 8) {
            round_ = 0;
            next_socket_ = (next_socket_ + 1) % static_cast<uint32_t>(sockets_.size());
        }
    }
}

void LoadEngine::expire(int64_t now) {
    std::fill(expired_.begin(), expired_.end(), 0u);
    report_.lost +=
        flight_.expire(now - std::chrono::nanoseconds(pacing_.timeout).count(), expired_);
    for (std::size_t i = 0; i < expired_.size(); ++i)
        per_socket_[i] -= expired_[i];
}

void LoadEngine::on_batch(uint32_t i, std::span<const net::ReceivedDatagram> batch) {
    if (!running())
        return;
    const int64_t now = load_now_ns();
    for (const auto& d : batch) {
        const auto answer = traffic_.read_answer(i, d.data);
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
    if (pacing_.rate <= 0)
        fill_window(i, now);
}

void LoadEngine::on_tick() {
    const int64_t now = load_now_ns();
    if (sending(now)) {
        send_due(now);
        sent_until_ns_ = now;
    } else if (!send_ended_) {
        send_ended_ = true;
        sent_until_ns_ = now;
        drain_end_ns_ = now + std::chrono::nanoseconds(pacing_.timeout).count();
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

void LoadEngine::finish() {
    finished_ = true;
    report_.lost += flight_.expire(INT64_MAX);
    report_.seconds = static_cast<double>(sent_until_ns_ - start_ns_) / 1e9;
    for (const auto& socket : sockets_)
        report_.send_errors += socket->stats().send_errors;
    if (done_)
        done_();
}

} // namespace rtc::probe_tool

#include "udp_worker.hpp"

#include "app/exit_codes.hpp"

#include <chrono>

namespace rtc::stun_tool {

namespace {
constexpr std::size_t kMaxDatagram = 2048;
// A response is at most 2.5 times its request (binding_server.hpp); leave room for that.
constexpr std::size_t kOutSize = kMaxDatagram * 5 / 2 + 64;
} // namespace

UdpWorker::UdpWorker(asio::io_context& io, const std::vector<util::Endpoint>& endpoints,
                     bool rfc5780, const stun::BindingServer& server, StunMetrics& metrics,
                     std::optional<stun::RateLimiterConfig> rate_limit)
    : server_(server), metrics_(metrics), rfc5780_(rfc5780), out_(kOutSize) {
    net::UdpBatchOptions options;
    options.max_datagram = kMaxDatagram;
    options.send_queue = 512;
    options.receive_buffer = 4 << 20;
    options.send_buffer = 4 << 20;
    for (const auto& endpoint : endpoints) {
        std::error_code ec;
        auto socket = net::UdpBatchSocket::open(io, endpoint, options, ec);
        if (!socket)
            throw app::ToolError("cannot listen on udp://" + endpoint.to_string() + ": " +
                                     ec.message(),
                                 ec == std::errc::address_in_use
                                     ? "is another STUN or TURN server running?"
                                     : "check the --listen and --alt-address values");
        sockets_.push_back(std::move(socket));
    }
    if (rate_limit)
        limiter_.emplace(*rate_limit);
}

std::vector<util::Endpoint> UdpWorker::local_endpoints() const {
    std::vector<util::Endpoint> out;
    for (const auto& s : sockets_)
        out.push_back(s->local_endpoint());
    return out;
}

void UdpWorker::start() {
    for (std::size_t i = 0; i < sockets_.size(); ++i)
        sockets_[i]->start([this, i](net::UdpBatchSocket&,
                                     std::span<const net::ReceivedDatagram> batch) {
            on_batch(i, batch);
        });
}

void UdpWorker::close() {
    for (auto& s : sockets_) {
        s->flush();
        s->close();
    }
}

void UdpWorker::on_batch(std::size_t index, std::span<const net::ReceivedDatagram> batch) {
    auto now = std::chrono::steady_clock::now();
    auto& socket = *sockets_[index];
    stun::BindingRequest request;
    request.local = socket.local_endpoint();
    request.local_index = rfc5780_ ? static_cast<uint8_t>(index) : 0;
    request.transport = stun::Transport::Udp;
    for (const auto& datagram : batch) {
        metrics_.request(stun::Transport::Udp);
        if (datagram.truncated) {
            metrics_.drop(ShellDrop::Truncated);
            continue;
        }
        request.bytes = datagram.data;
        request.source = datagram.source;
        auto outcome = server_.handle(request, out_);
        if (outcome.size == 0) {
            metrics_.outcome(stun::Transport::Udp, outcome);
            continue;
        }
        // Only what would be sent is charged, so garbage cannot drain a source's allowance.
        if (limiter_ && !limiter_->allow(datagram.source.address, now)) {
            metrics_.drop(ShellDrop::RateLimited);
            continue;
        }
        auto& from = rfc5780_ ? *sockets_[outcome.send_from] : socket;
        if (from.send(std::span<const uint8_t>(out_.data(), outcome.size), outcome.destination))
            metrics_.outcome(stun::Transport::Udp, outcome);
        else
            metrics_.drop(ShellDrop::SendFailed);
    }
}

} // namespace rtc::stun_tool

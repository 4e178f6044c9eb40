#include "udp_worker.hpp"

#include "app/listen_error.hpp"

#include <chrono>

namespace rtc::stun_tool {

UdpWorker::UdpWorker(asio::io_context& io, const std::vector<util::Endpoint>& endpoints,
                     bool rfc5780, Responder& responder)
    : responder_(responder), rfc5780_(rfc5780) {
    net::UdpBatchOptions options;
    options.max_datagram = Responder::kMaxRequest;
    options.send_queue = 512;
    options.receive_buffer = 4 << 20;
    options.send_buffer = 4 << 20;
    for (const auto& endpoint : endpoints) {
        std::error_code ec;
        auto socket = net::UdpBatchSocket::open(io, endpoint, options, ec);
        if (!socket)
            throw app::cannot_listen("udp", endpoint, ec, kInUseHint);
        sockets_.push_back(std::move(socket));
    }
}

std::vector<util::Endpoint> UdpWorker::local_endpoints() const {
    std::vector<util::Endpoint> out;
    for (const auto& s : sockets_)
        out.push_back(s->local_endpoint());
    return out;
}

void UdpWorker::start() {
    for (std::size_t i = 0; i < sockets_.size(); ++i)
        sockets_[i]->start(
            [this, i](net::UdpBatchSocket&, std::span<const net::ReceivedDatagram> batch) {
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
        if (datagram.truncated) {
            responder_.metrics().request(stun::Transport::Udp);
            responder_.metrics().drop(ShellDrop::Truncated);
            continue;
        }
        request.bytes = datagram.data;
        request.source = datagram.source;
        auto answer = responder_.answer(request, now);
        if (!answer)
            continue;
        auto& from = rfc5780_ ? *sockets_[answer->send_from] : socket;
        if (!from.send(answer->bytes, answer->destination))
            responder_.metrics().drop(ShellDrop::SendFailed);
    }
}

} // namespace rtc::stun_tool

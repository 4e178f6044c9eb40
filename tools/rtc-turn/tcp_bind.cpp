// RFC 6062 in TurnWorker: peer connections accepted on and made from TCP relays, and
// ConnectionBind turning a client connection into a pipe, across threads when needed.
#include "stream_client.hpp"
#include "worker.hpp"

#include <asio/post.hpp>

namespace rtc::turn_tool {

void TurnWorker::send_action(const turn::PeerAction& action) {
    if (action.kind == turn::ActionKind::SendToClient)
        send_to_client(action.five_tuple, std::span<const uint8_t>(out_.data(), action.size));
}

turn::ConnectionId TurnWorker::on_peer_accepted(turn::RelayId relay, const util::Endpoint& peer) {
    // RFC 6062 §5.3: ConnectionAttempt to the client, or refused without a permission.
    auto result =
        server_.handle_peer_connection(relay, peer, std::chrono::steady_clock::now(), out_);
    send_action(result.send);
    publish();
    return result.connection;
}

bool TurnWorker::on_peer_connected(turn::ConnectionId id, bool connected) {
    // RFC 6062 §5.2: the Connect answer (CONNECTION-ID or 447).
    auto action =
        server_.handle_connect_result(id, connected, std::chrono::steady_clock::now(), out_);
    send_action(action);
    publish();
    return action.kind == turn::ActionKind::SendToClient && connected;
}

void TurnWorker::close_connection(turn::ConnectionId id) {
    if (tcp_.close(id)) // connecting, or pending its bind
        return;
    if (auto it = pipes_.find(id); it != pipes_.end()) {
        auto pipe = it->second.lock();
        pipes_.erase(it);
        if (pipe)
            pipe->close(false);
        return;
    }
    if (auto it = remote_pipes_.find(id); it != remote_pipes_.end()) {
        std::size_t where = it->second;
        remote_pipes_.erase(it);
        TurnWorker* w = &worker(where);
        asio::post(w->io_, [w, id] { w->close_pipe(id); });
    }
}

void TurnWorker::close_pipe(turn::ConnectionId id) {
    if (auto it = pipes_.find(id); it != pipes_.end()) {
        auto pipe = it->second.lock();
        pipes_.erase(it);
        if (pipe)
            pipe->close(false);
    }
}

std::shared_ptr<TcpPipe> TurnWorker::start_pipe(StreamClient& client, turn::ConnectionId id,
                                                TcpHandoff handoff) {
    auto pipe = TcpPipe::start(io_, id, std::move(handoff), client.connection(),
                               [this](turn::ConnectionId closed) { pipe_closed(closed); });
    if (!pipe) {
        pipe_closed(id);
        return nullptr;
    }
    pipes_[id] = pipe;
    return pipe;
}

void TurnWorker::pipe_closed(turn::ConnectionId id) {
    pipes_.erase(id);
    std::size_t owner = turn::connection_id_shard(id);
    if (owner == index_ || !workers_ || owner >= workers_->size()) {
        server_.handle_connection_closed(id);
        publish();
        return;
    }
    TurnWorker* w = &worker(owner);
    asio::post(w->io_, [w, id] { w->remote_pipe_closed(id); });
}

void TurnWorker::remote_pipe_closed(turn::ConnectionId id) {
    remote_pipes_.erase(id);
    server_.handle_connection_closed(id);
    publish();
}

void TurnWorker::forward_bind(StreamClient& client, std::span<const uint8_t> frame,
                              std::size_t owner) {
    metrics_.bind_forwarded();
    uint64_t key = next_bind_key_++;
    pending_binds_[key] = &client;
    client.set_pending_bind(key);
    TurnWorker* w = &worker(owner);
    std::vector<uint8_t> bytes(frame.begin(), frame.end());
    asio::post(w->io_, [w, bytes = std::move(bytes), tuple = client.tuple(), from = index_,
                        key]() mutable { w->remote_bind(std::move(bytes), tuple, from, key); });
}

void TurnWorker::remote_bind(std::vector<uint8_t> frame, turn::FiveTuple tuple, std::size_t from,
                             uint64_t key) {
    auto action = client_message(frame, tuple, Now{});
    auto reply = reply_of(action);
    std::vector<uint8_t> response(reply.begin(), reply.end());
    std::shared_ptr<TcpHandoff> handoff;
    turn::ConnectionId id = 0;
    if (action.kind == turn::ActionKind::BindConnection) {
        id = action.connection;
        if (auto taken = tcp_.take(id)) {
            handoff = std::make_shared<TcpHandoff>(std::move(*taken));
            remote_pipes_[id] = from;
        } else {
            server_.handle_connection_closed(id);
        }
    }
    publish();
    TurnWorker* w = &worker(from);
    asio::post(w->io_, [w, key, response = std::move(response), id, handoff]() mutable {
        w->bind_done(key, std::move(response), id, std::move(handoff));
    });
}

void TurnWorker::bind_done(uint64_t key, std::vector<uint8_t> response, turn::ConnectionId id,
                           std::shared_ptr<TcpHandoff> handoff) {
    auto it = pending_binds_.find(key);
    if (it == pending_binds_.end()) { // the client connection left meanwhile
        if (handoff)
            pipe_closed(id); // the fd closes with the handoff
        return;
    }
    StreamClient& client = *it->second;
    pending_binds_.erase(it);
    if (!response.empty())
        client.connection().write(response);
    std::shared_ptr<TcpPipe> pipe;
    if (handoff) {
        pipe = start_pipe(client, id, std::move(*handoff));
        if (!pipe)
            client.connection().close();
    } else if (id != 0) {
        client.connection().close(); // bound, but the peer connection was gone
    }
    client.bind_answered(std::move(pipe));
}

} // namespace rtc::turn_tool

#include "stream_client.hpp"

#include "stun/framing.hpp"
#include "stun/turn_attributes.hpp"

namespace rtc::turn_tool {

TurnWorker::StreamClient::StreamClient(TurnWorker& worker, net::StreamConnection& connection,
                                       bool datagram)
    : worker_(worker), connection_(connection),
      datagram_(datagram), tuple_{connection.remote(), connection.local(),
                                  datagram              ? stun::Transport::Dtls
                                  : connection.is_tls() ? stun::Transport::Tls
                                                        : stun::Transport::Tcp},
      last_activity_(std::chrono::steady_clock::now()) {
    worker_.connections_[tuple_] = this;
}

TurnWorker::StreamClient::~StreamClient() {
    finish();
}

void TurnWorker::StreamClient::on_close() {
    finish();
}

void TurnWorker::StreamClient::finish() {
    if (finished_)
        return;
    finished_ = true;
    worker_.connections_.erase(tuple_);
    if (pending_bind_ != 0)
        worker_.pending_binds_.erase(pending_bind_);
    if (pipe_) {
        auto pipe = std::move(pipe_);
        pipe->client_gone();
        return;
    }
    // RFC 6062 §5 and RFC 8656 §3.1: an allocation made over TCP/TLS ends with its connection.
    worker_.server_.handle_client_closed(tuple_);
    worker_.publish();
}

std::size_t TurnWorker::StreamClient::on_data(std::span<const uint8_t> data) {
    last_activity_ = std::chrono::steady_clock::now();
    if (pipe_) { // RFC 6062 §5.4: a client data connection carries raw bytes
        pipe_->to_peer(data);
        return data.size();
    }
    if (pending_bind_ != 0) {
        if (stash_.size() + data.size() > kMaxStashedBytes)
            connection_.close();
        else
            stash_.insert(stash_.end(), data.begin(), data.end());
        return data.size();
    }
    // DTLS delivers whole messages; a stream needs cutting into them (RFC 8489 §6.2.2).
    auto length =
        datagram_ ? std::optional<std::size_t>(data.size()) : stun::stream_frame_length(data);
    if (!length)
        return 0;
    if (*length == stun::kInvalidFrame) {
        worker_.metrics_.drop(ShellDrop::StreamFraming);
        connection_.close();
        return data.size();
    }
    if (*length > data.size())
        return 0;
    auto frame = data.first(*length);
    // A ConnectionBind for a connection id another worker issued goes to that worker.
    if (worker_.workers_ && frame.size() >= 20 && (frame[0] & 0xC0) == 0) {
        auto m = stun::MessageView::parse(frame);
        if (m && m->method() == stun::Method::ConnectionBind && m->is_request()) {
            auto id = m->get<stun::ConnectionId>();
            std::size_t owner = id ? turn::connection_id_shard(id->id) : worker_.index_;
            if (owner != worker_.index_ && owner < worker_.workers_->size()) {
                worker_.forward_bind(*this, frame, owner);
                return *length;
            }
        }
    }
    auto action = worker_.client_message(frame, tuple_, Now{});
    if (auto reply = worker_.reply_of(action); !reply.empty())
        connection_.write(reply);
    if (action.kind == turn::ActionKind::BindConnection) {
        auto handoff = worker_.tcp_.take(action.connection);
        if (handoff)
            pipe_ = worker_.start_pipe(*this, action.connection, std::move(*handoff));
        else
            worker_.server_.handle_connection_closed(action.connection);
        if (!pipe_)
            connection_.close();
    }
    worker_.publish();
    return *length;
}

void TurnWorker::StreamClient::bind_answered(std::shared_ptr<TcpPipe> pipe) {
    pending_bind_ = 0;
    auto stash = std::move(stash_);
    stash_.clear();
    if (!pipe) {
        // An error answer: the client should have waited for it before sending more.
        if (!stash.empty())
            connection_.close();
        return;
    }
    pipe_ = std::move(pipe);
    if (!stash.empty())
        pipe_->to_peer(stash);
}

} // namespace rtc::turn_tool

#include "stream_worker.hpp"

#include "app/listen_error.hpp"
#include "stun/framing.hpp"

#include <memory>

namespace rtc::stun_tool {

namespace {

class StunStreamHandler : public net::StreamHandler {
public:
    StunStreamHandler(net::StreamConnection& connection, Responder& responder,
                      stun::Transport transport)
        : connection_(connection), responder_(responder), transport_(transport) {}

    std::size_t on_data(std::span<const uint8_t> data) override {
        auto length = stun::stream_frame_length(data, Responder::kMaxRequest);
        if (!length)
            return 0; // wait for a whole header
        // Not STUN (ChannelData has no place on a STUN server), or too long: the stream cannot
        // be resynchronised, so it is closed (RFC 8489 §6.2.2 leaves framing errors fatal).
        if (*length == stun::kInvalidFrame || stun::is_channel_data(data)) {
            responder_.metrics().request(transport_);
            responder_.metrics().drop(ShellDrop::StreamFraming);
            connection_.close();
            return data.size();
        }
        if (*length > data.size())
            return 0;
        stun::BindingRequest request;
        request.bytes = data.first(*length);
        request.source = connection_.remote();
        request.local = connection_.local();
        request.transport = transport_;
        if (auto answer = responder_.answer(request, std::chrono::steady_clock::now()))
            connection_.write(answer->bytes);
        return *length;
    }

private:
    net::StreamConnection& connection_;
    Responder& responder_;
    stun::Transport transport_;
};

} // namespace

StreamWorker::StreamWorker(asio::io_context& io, const std::vector<StreamListen>& listens,
                           Responder& responder, std::shared_ptr<tls::ReloadableContext> tls,
                           std::shared_ptr<tls::ReloadableContext> dtls)
    : responder_(responder) {
    for (const auto& listen : listens) {
        const auto transport = listen.dtls  ? stun::Transport::Dtls
                               : listen.tls ? stun::Transport::Tls
                                            : stun::Transport::Tcp;
        auto factory =
            [this, transport](net::StreamConnection& c) -> std::unique_ptr<net::StreamHandler> {
            return std::make_unique<StunStreamHandler>(c, responder_, transport);
        };
        if (listen.dtls) {
            net::DtlsServerOptions options;
            options.tls = dtls;
            options.idle_timeout = std::chrono::seconds(60);
            try {
                dtls_servers_.push_back(
                    net::DtlsServer::start(io, listen.endpoint, factory, options));
            } catch (const std::system_error& e) {
                throw app::cannot_listen("dtls", listen.endpoint, e.code(), kInUseHint);
            }
            index_.push_back(dtls_servers_.size() - 1);
            listens_.push_back(listen);
            continue;
        }
        net::StreamServerOptions options;
        options.reuse_port = true;
        options.idle_timeout = std::chrono::seconds(60);
        options.max_buffered_bytes = 64 * 1024;
        if (listen.tls)
            options.tls = tls;
        try {
            servers_.push_back(net::StreamServer::start(io, listen.endpoint, factory, options));
        } catch (const std::system_error& e) {
            throw app::cannot_listen(listen.tls ? "tls" : "tcp", listen.endpoint, e.code(),
                                     kInUseHint);
        }
        index_.push_back(servers_.size() - 1);
        listens_.push_back(listen);
    }
}

std::vector<StreamListen> StreamWorker::local_endpoints() const {
    std::vector<StreamListen> out = listens_;
    for (std::size_t i = 0; i < out.size(); ++i)
        out[i].endpoint = out[i].dtls ? dtls_servers_[index_[i]]->local_endpoint()
                                      : servers_[index_[i]]->local_endpoint();
    return out;
}

void StreamWorker::stop(std::chrono::milliseconds grace, std::function<void()> done) {
    if (servers_.empty() && dtls_servers_.empty()) {
        done();
        return;
    }
    auto remaining = std::make_shared<std::size_t>(servers_.size() + dtls_servers_.size());
    auto one_done = [remaining, done] {
        if (--*remaining == 0)
            done();
    };
    for (auto& server : servers_)
        server->stop(grace, one_done);
    for (auto& server : dtls_servers_)
        server->stop(one_done); // close_notify to each session; nothing else is in flight
}

} // namespace rtc::stun_tool

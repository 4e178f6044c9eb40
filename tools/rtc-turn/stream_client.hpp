#pragma once
// Internal to TurnWorker (worker.cpp, tcp_bind.cpp): one TCP or TLS client connection. It frames
// STUN and ChannelData (RFC 8656 §12.5) for the worker's core until a ConnectionBind succeeds
// on it (RFC 6062 §5.4); from then on it is a client data connection whose bytes go raw
// through a TcpPipe.
#include "worker.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

namespace rtc::turn_tool {

class TurnWorker::StreamClient : public net::StreamHandler {
public:
    // Client bytes kept while another thread answers this connection's ConnectionBind.
    static constexpr std::size_t kMaxStashedBytes = 64 * 1024;

    // datagram: a DTLS session, where each on_data() is one whole message (RFC 8656 §12.5:
    // no ChannelData padding) rather than a byte stream.
    StreamClient(TurnWorker& worker, net::StreamConnection& connection, bool datagram);
    ~StreamClient() override;

    std::size_t on_data(std::span<const uint8_t> data) override;
    void on_close() override;

    net::StreamConnection& connection() { return connection_; }
    const turn::FiveTuple& tuple() const { return tuple_; }
    // The owning worker's answer to a forwarded ConnectionBind arrived.
    void bind_answered(std::shared_ptr<TcpPipe> pipe);
    void set_pending_bind(uint64_t key) { pending_bind_ = key; }
    // For the worker's idle sweep: when the client last sent bytes, and whether this is a TCP
    // or TLS connection still framing STUN (not a data connection, no bind pending, not DTLS,
    // whose server has an idle timeout of its own).
    std::chrono::steady_clock::time_point last_activity() const { return last_activity_; }
    bool framing_stream() const { return !datagram_ && !pipe_ && pending_bind_ == 0; }

private:
    void finish();

    TurnWorker& worker_;
    net::StreamConnection& connection_;
    bool datagram_ = false;
    turn::FiveTuple tuple_;
    std::shared_ptr<TcpPipe> pipe_; // set once this is a client data connection
    uint64_t pending_bind_ = 0;     // key in the worker's pending_binds_, 0 if none
    std::vector<uint8_t> stash_;    // bytes received while the bind is pending
    bool finished_ = false;
    std::chrono::steady_clock::time_point last_activity_;
};

} // namespace rtc::turn_tool

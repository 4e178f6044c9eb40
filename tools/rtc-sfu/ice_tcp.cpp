#include "ice_tcp.hpp"

namespace rtc::sfu_tool {

// One accepted connection: splits its bytes into RFC 4571 §2 frames.
class IceTcpLinks::Link final : public net::StreamHandler {
public:
    Link(IceTcpLinks& links, net::StreamConnection& connection)
        : links_(links), connection_(connection), remote_(connection.remote()) {}

    std::size_t on_data(std::span<const uint8_t> data) override {
        std::size_t used = 0;
        while (data.size() - used >= 2) {
            const std::size_t length = (std::size_t{data[used]} << 8) | data[used + 1];
            if (length == 0 || length > kMaxFrame) {
                ++links_.stats_.bad_frames;
                connection_.close();
                return data.size();
            }
            if (data.size() - used < 2 + length)
                break;
            links_.on_frame_(data.subspan(used + 2, length), remote_);
            used += 2 + length;
        }
        return used;
    }

    void on_close() override {
        auto it = links_.by_remote_.find(remote_);
        if (it != links_.by_remote_.end() && it->second == &connection_)
            links_.by_remote_.erase(it);
    }

private:
    IceTcpLinks& links_;
    net::StreamConnection& connection_;
    util::Endpoint remote_;
};

IceTcpLinks::IceTcpLinks(OnFrame on_frame)
    : on_frame_(std::move(on_frame)), frame_(2 + kMaxFrame) {}

IceTcpLinks::~IceTcpLinks() = default;

std::unique_ptr<net::StreamHandler> IceTcpLinks::accept(net::StreamConnection& connection) {
    // A newer connection from the same address replaces the older one as the way back.
    by_remote_[connection.remote()] = &connection;
    return std::make_unique<Link>(*this, connection);
}

bool IceTcpLinks::send(std::span<const uint8_t> datagram, const util::Endpoint& to) {
    if (by_remote_.empty())
        return false;
    auto it = by_remote_.find(to);
    if (it == by_remote_.end())
        return false;
    if (datagram.size() > kMaxFrame || it->second->buffered_output() > kMaxQueued) {
        ++stats_.send_drops;
        return true;
    }
    frame_[0] = static_cast<uint8_t>(datagram.size() >> 8);
    frame_[1] = static_cast<uint8_t>(datagram.size());
    std::copy(datagram.begin(), datagram.end(), frame_.begin() + 2);
    it->second->write(std::span(frame_).first(2 + datagram.size()));
    return true;
}

IceTcpStats IceTcpLinks::stats() const {
    IceTcpStats s = stats_;
    s.connections = by_remote_.size();
    return s;
}

} // namespace rtc::sfu_tool

#pragma once
// Passive ICE-TCP (RFC 6544) for rtc-sfu: `--listen tcp://...` accepts connections from the
// peers' active TCP candidates. Each connection carries STUN, DTLS, RTP and RTCP framed as in
// RFC 4571 (a 16-bit length before every packet). Frames reach the Router as datagrams from the
// connection's remote address; the Router's datagrams to that address leave framed on it.
//
//   IceTcpLinks links([&](auto frame, auto& from) { router.on_datagram(frame, from, now, sink); });
//   StreamServer::start(io, at, [&](auto& c) { return links.accept(c); }, options);
//   if (!links.send(datagram, to)) udp.send(datagram, to);   // in the Router's sink
#include "net/stream_server.hpp"
#include "util/ip_address.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

namespace rtc::sfu_tool {

struct IceTcpStats {
    uint64_t connections = 0; // open now
    uint64_t bad_frames = 0;  // connections closed for a frame over the limit
    uint64_t send_drops = 0;  // datagrams dropped because a connection's output was full
};

class IceTcpLinks {
public:
    using OnFrame = std::function<void(std::span<const uint8_t> frame, const util::Endpoint& from)>;
    // The largest frame taken (a media packet fits in 1500 bytes; RFC 4571 allows 65535).
    static constexpr std::size_t kMaxFrame = 4096;
    // Output a connection may hold before datagrams to it are dropped like UDP losses.
    static constexpr std::size_t kMaxQueued = 512 * 1024;

    explicit IceTcpLinks(OnFrame on_frame);
    ~IceTcpLinks();
    IceTcpLinks(const IceTcpLinks&) = delete;
    IceTcpLinks& operator=(const IceTcpLinks&) = delete;

    // The StreamServer's handler factory.
    std::unique_ptr<net::StreamHandler> accept(net::StreamConnection& connection);
    // Frames `datagram` onto the connection from `to`; false if no connection has that address.
    bool send(std::span<const uint8_t> datagram, const util::Endpoint& to);
    IceTcpStats stats() const;

private:
    class Link;
    OnFrame on_frame_;
    std::unordered_map<util::Endpoint, net::StreamConnection*> by_remote_;
    std::vector<uint8_t> frame_; // 2-byte length + datagram, written at once
    IceTcpStats stats_;
};

} // namespace rtc::sfu_tool

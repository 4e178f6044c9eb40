#pragma once
// rtc-sfu at run time: the media UDP socket(s), the HTTP listeners, the Router, metrics and
// signal handling, all on one event-loop thread.
#include "ice_tcp.hpp"
#include "sfu_options.hpp"
#include "whip_app.hpp"

#include "app/cli.hpp"
#include "app/http_listeners.hpp"
#include "app/log.hpp"
#include "app/metrics.hpp"
#include "net/http_server.hpp"
#include "net/io_pool.hpp"
#include "net/metrics_endpoint.hpp"
#include "net/udp_batch_socket.hpp"
#include "sfu/router.hpp"

#include <asio/steady_timer.hpp>

#include <memory>
#include <vector>

namespace rtc::sfu_tool {

class SfuService : public sfu::DatagramSink {
public:
    SfuService(const app::CommonOptions& common, const SfuOptions& options, app::Logger& log);
    ~SfuService() override;

    // Binds everything (throws app::ToolError when it cannot), logs each listening URL, then
    // serves until SIGINT/SIGTERM. Returns the exit code.
    int run();

    void send(std::span<const uint8_t> datagram, const util::Endpoint& to) override;

private:
    void bind_media();
    // Sends what the Router queued on the UDP sockets (one sendmmsg per socket).
    void flush_media();
    std::vector<util::Endpoint> host_candidates(const util::Endpoint& local) const;
    // --listen tcp://: passive ICE-TCP (RFC 6544), after the Router exists.
    void bind_ice_tcp();
    void bind_http();
    void register_metrics();
    void arm_timer();
    void log_removed();
    void stop();

    const app::CommonOptions& common_;
    const SfuOptions& options_;
    app::Logger& log_;
    net::IoPool pool_;
    app::MetricsRegistry registry_;
    std::shared_ptr<const tls::Credentials> dtls_identity_;
    std::vector<util::Endpoint> candidates_;
    std::vector<util::Endpoint> tcp_candidates_;
    std::vector<std::shared_ptr<net::UdpBatchSocket>> media_;
    std::unique_ptr<IceTcpLinks> ice_tcp_;
    std::vector<std::shared_ptr<net::StreamServer>> tcp_media_;
    std::unique_ptr<sfu::Router> router_;
    std::unique_ptr<RoomHub> rooms_;
    std::unique_ptr<WhipApp> app_;
    std::unique_ptr<app::HttpListeners> listeners_;
    std::shared_ptr<net::MetricsEndpoint> metrics_endpoint_;
    std::unique_ptr<asio::steady_timer> timer_;
    bool stopping_ = false;
};

} // namespace rtc::sfu_tool

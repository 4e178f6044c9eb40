#include "service.hpp"

#include "file_sink.hpp"

#include "app/exit_codes.hpp"
#include "app/listen_error.hpp"
#include "app/serve.hpp"
#include "app/server_metrics.hpp"
#include "net/interfaces.hpp"
#include "sdp/description.hpp"
#include "tls/credentials.hpp"

#include <asio/post.hpp>

namespace rtc::sfu_tool {

namespace {

constexpr std::chrono::milliseconds kStopGrace{3000};
constexpr std::chrono::milliseconds kTick{20}; // router timers: DTLS, NACK, RTCP, consent
constexpr std::string_view kHttpInUse = "is another web server running?";
constexpr std::string_view kMediaInUse = "is another media server running?";

} // namespace

SfuService::SfuService(const app::CommonOptions& common, const SfuOptions& options,
                       app::Logger& log)
    : common_(common), options_(options), log_(log), pool_(1) {
    registry_.add_process_metrics();
}

SfuService::~SfuService() = default;

void SfuService::send(std::span<const uint8_t> datagram, const util::Endpoint& to) {
    if (ice_tcp_ && ice_tcp_->send(datagram, to))
        return;
    for (auto& socket : media_)
        if (socket->local_endpoint().address.family() == to.address.family()) {
            socket->send(datagram, to);
            return;
        }
}

// RFC 8839 §5.1 host candidates for a bound media address: --external-ip (1:1 NAT), the bound
// address, or every interface address of the family when bound to the wildcard.
std::vector<util::Endpoint> SfuService::host_candidates(const util::Endpoint& local) const {
    std::vector<util::Endpoint> out;
    const auto family = local.address.family();
    for (const auto& e : common_.external_ips)
        if (e.public_ip.family() == family)
            out.push_back({e.public_ip, local.port});
    if (!out.empty())
        return out;
    if (local.address.is_unspecified())
        for (const auto& ip : net::interface_addresses(family))
            out.push_back({ip, local.port});
    else
        out.push_back(local);
    return out;
}

void SfuService::flush_media() {
    for (auto& socket : media_)
        socket->flush();
}

void SfuService::bind_media() {
    net::UdpBatchOptions udp;
    udp.reuse_port = false;
    udp.send_queue = 4096; // one publisher packet fans out to every subscriber in one batch
    udp.max_datagram = 1500;
    udp.receive_buffer = 4 << 20;
    udp.send_buffer = 4 << 20;
    for (const auto& url : common_.listen) {
        if (url.scheme != app::Scheme::Udp)
            continue;
        for (const auto& endpoint : url.endpoints()) {
            std::error_code ec;
            auto socket = net::UdpBatchSocket::open(pool_.context(0), endpoint, udp, ec);
            if (!socket)
                throw app::cannot_listen("udp", endpoint, ec, kMediaInUse);
            const auto local = socket->local_endpoint();
            for (const auto& c : host_candidates(local))
                candidates_.push_back(c);
            log_.info("listening", {{"url", "udp://" + local.to_string()}});
            media_.push_back(std::move(socket));
        }
    }
}

void SfuService::bind_ice_tcp() {
    ice_tcp_ = std::make_unique<IceTcpLinks>(
        [this](std::span<const uint8_t> frame, const util::Endpoint& from) {
            router_->on_datagram(frame, from, std::chrono::steady_clock::now(), *this);
            flush_media();
        });
    net::StreamServerOptions tcp;
    tcp.max_connections = options_.max_peers;
    // A connection nobody checks on is closed when its peer's consent would have expired.
    tcp.idle_timeout = std::chrono::seconds(options_.consent_timeout);
    tcp.read_size = 64 * 1024;
    for (const auto& url : common_.listen) {
        if (url.scheme != app::Scheme::Tcp)
            continue;
        for (const auto& endpoint : url.endpoints()) {
            std::shared_ptr<net::StreamServer> server;
            try {
                server = net::StreamServer::start(
                    pool_.context(0), endpoint,
                    [this](net::StreamConnection& c) { return ice_tcp_->accept(c); }, tcp);
            } catch (const std::system_error& e) {
                throw app::cannot_listen("tcp", endpoint, e.code(), kMediaInUse);
            }
            const auto local = server->local_endpoint();
            for (const auto& c : host_candidates(local))
                tcp_candidates_.push_back(c);
            log_.info("listening", {{"url", "tcp://" + local.to_string()}});
            tcp_media_.push_back(std::move(server));
        }
    }
}

void SfuService::bind_http() {
    net::HttpServerOptions http;
    http.request_limits.max_body = sdp::kMaxSdpBytes; // an SDP offer
    http.max_message = 2 * sdp::kMaxSdpBytes;         // rooms: an offer in JSON
    listeners_ = std::make_unique<app::HttpListeners>(pool_.context(0), common_, *app_, http, log_,
                                                      kHttpInUse);
}

void SfuService::register_metrics() {
    using app::MetricType;
    auto stats = [this] { return router_->stats(); };
    auto gauge = [&](const char* name, const char* help, auto read) {
        registry_.callback(name, help, MetricType::Gauge, {},
                           [read] { return static_cast<double>(read()); });
    };
    auto counter = [&](const char* name, const char* help, const app::Labels& labels, auto read) {
        registry_.callback(name, help, MetricType::Counter, labels,
                           [read] { return static_cast<double>(read()); });
    };
    gauge("rtc_sfu_publishers", "WHIP publishers.", [stats] { return stats().publishers; });
    gauge("rtc_sfu_subscribers", "WHEP subscribers.", [stats] { return stats().subscribers; });
    gauge("rtc_sfu_streams", "Streams with a publisher or a subscriber.",
          [stats] { return stats().streams; });
    gauge("rtc_sfu_connected_peers", "Peers with DTLS-SRTP up.",
          [stats] { return stats().connected; });
    counter("rtc_sfu_rtp_packets_total", "RTP packets.", {{"direction", "in"}},
            [stats] { return stats().rtp_in; });
    counter("rtc_sfu_rtp_packets_total", "RTP packets.", {{"direction", "out"}},
            [stats] { return stats().rtp_out; });
    counter("rtc_sfu_rtp_bytes_total", "RTP bytes (SRTP payloads).", {{"direction", "in"}},
            [stats] { return stats().bytes_in; });
    counter("rtc_sfu_rtp_bytes_total", "RTP bytes (SRTP payloads).", {{"direction", "out"}},
            [stats] { return stats().bytes_out; });
    counter("rtc_sfu_rtcp_packets_total", "RTCP compound packets.", {{"direction", "in"}},
            [stats] { return stats().rtcp_in; });
    counter("rtc_sfu_rtcp_packets_total", "RTCP compound packets.", {{"direction", "out"}},
            [stats] { return stats().rtcp_out; });
    counter("rtc_sfu_nacks_total", "Sequence numbers asked for in NACKs.", {{"direction", "in"}},
            [stats] { return stats().nacks_in; });
    counter("rtc_sfu_nacks_total", "Sequence numbers asked for in NACKs.", {{"direction", "out"}},
            [stats] { return stats().nacks_out; });
    counter("rtc_sfu_retransmits_total", "Packets sent again to answer a NACK.", {},
            [stats] { return stats().retransmits; });
    counter("rtc_sfu_keyframe_requests_total", "PLIs sent to publishers.", {},
            [stats] { return stats().keyframe_requests; });
    counter("rtc_sfu_ice_checks_total", "Connectivity checks answered.", {},
            [stats] { return stats().checks; });
    counter("rtc_sfu_dtls_failures_total", "DTLS handshakes failed (or fingerprint mismatch).", {},
            [stats] { return stats().dtls_failures; });
    counter("rtc_sfu_recordings_total", "Track files opened (--record).", {},
            [stats] { return stats().recordings; });
    counter("rtc_sfu_recording_failures_total", "Track files that could not be opened.", {},
            [stats] { return stats().recording_failures; });
    counter("rtc_sfu_timeouts_total", "Peers dropped for silence (consent, RFC 7675).", {},
            [stats] { return stats().timeouts; });
    counter("rtc_sfu_garbage_peers_total",
            "Peers dropped for 1000 datagrams in a row that failed SRTP or parsing.", {},
            [stats] { return stats().garbage_drops; });
    const std::pair<const char*, uint64_t sfu::RouterStats::*> drops[] = {
        {"unknown_address", &sfu::RouterStats::drops_unknown},
        {"malformed", &sfu::RouterStats::drops_malformed},
        {"auth", &sfu::RouterStats::drops_auth},
        {"not_ready", &sfu::RouterStats::drops_not_ready},
    };
    for (const auto& [reason, field] : drops)
        counter("rtc_sfu_drops_total", "Datagrams dropped, by reason.", {{"reason", reason}},
                [stats, field = field] { return stats().*field; });
    auto tcp = [this] { return ice_tcp_->stats(); };
    gauge("rtc_sfu_ice_tcp_connections", "ICE-TCP connections open (--listen tcp://).",
          [tcp] { return tcp().connections; });
    counter("rtc_sfu_drops_total", "Datagrams dropped, by reason.", {{"reason", "tcp_frame"}},
            [tcp] { return tcp().bad_frames; });
    counter("rtc_sfu_drops_total", "Datagrams dropped, by reason.", {{"reason", "tcp_backlog"}},
            [tcp] { return tcp().send_drops; });
}

void SfuService::arm_timer() {
    timer_->expires_after(kTick);
    timer_->async_wait([this](std::error_code ec) {
        if (ec || stopping_)
            return;
        router_->on_timer(std::chrono::steady_clock::now(), *this);
        flush_media();
        log_removed();
        arm_timer();
    });
}

void SfuService::log_removed() {
    for (const auto& [id, why] : router_->take_removed()) {
        log_.info("peer removed", {{"resource", id}, {"why", why}});
        rooms_->on_removed(id);
    }
}

int SfuService::run() {
    app::hold_stop_signals();
    auto& io = pool_.context(0);
    try {
        dtls_identity_ = tls::Credentials::self_signed(std::chrono::system_clock::now());
    } catch (const std::exception& e) {
        throw app::ToolError(std::string("cannot make the DTLS certificate: ") + e.what(),
                             "check the mbedTLS installation");
    }
    bind_media();
    bind_ice_tcp();
    sfu::RouterConfig config;
    config.certificate = dtls_identity_;
    config.candidates = candidates_;
    config.tcp_candidates = tcp_candidates_;
    config.max_peers = options_.max_peers;
    config.max_streams = options_.max_streams;
    config.max_subscribers = options_.max_subscribers;
    config.max_tracks = options_.max_tracks;
    config.max_publisher_bitrate = options_.max_bitrate;
    config.consent_timeout = std::chrono::seconds(options_.consent_timeout);
    if (!options_.record_dir.empty())
        config.open_recording =
            [this](const std::string& name) -> std::unique_ptr<record::ByteSink> {
            auto sink = FileSink::create(options_.record_dir + "/" + name);
            if (sink)
                log_.info("recording", {{"file", options_.record_dir + "/" + name}});
            else
                log_.error("cannot record", {{"file", options_.record_dir + "/" + name}});
            return sink;
        };
    router_ = std::make_unique<sfu::Router>(config, std::chrono::steady_clock::now());
    rooms_ =
        std::make_unique<RoomHub>(*router_, log_, options_.max_room_members, options_.max_rooms);
    app_ = std::make_unique<WhipApp>(options_, *router_, *rooms_, log_);
    bind_http();
    for (auto& socket : media_)
        socket->start([this](net::UdpBatchSocket&, std::span<const net::ReceivedDatagram> batch) {
            const auto now = std::chrono::steady_clock::now();
            for (const auto& d : batch)
                router_->on_datagram(d.data, d.source, now, *this);
            flush_media();
        });
    timer_ = std::make_unique<asio::steady_timer>(io);
    arm_timer();
    register_metrics();
    metrics_endpoint_ = app::start_metrics(io, common_, registry_, log_);
    return app::serve(
        pool_, log_, [this] { stop(); }, [this] { listeners_->reload_tls(); });
}

void SfuService::stop() {
    asio::post(pool_.context(0), [this] {
        stopping_ = true;
        rooms_->close_all();
        if (metrics_endpoint_)
            metrics_endpoint_->stop();
        if (timer_)
            timer_->cancel();
        for (auto& socket : media_)
            socket->close();
        for (auto& server : tcp_media_)
            server->stop(std::chrono::milliseconds(0));
        listeners_->stop(kStopGrace, [&io = pool_.context(0)] { io.stop(); });
    });
}

} // namespace rtc::sfu_tool

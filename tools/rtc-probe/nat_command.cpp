#include "nat_command.hpp"

#include "nat_output.hpp"
#include "resolve.hpp"

#include "app/cli.hpp"
#include "app/exit_codes.hpp"
#include "app/quote.hpp"
#include "net/socket_address.hpp"
#include "probe/nat_probe.hpp"

#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <asio/steady_timer.hpp>

#include <array>
#include <iostream>
#include <memory>

namespace rtc::probe_tool {

namespace {

using probe::Clock;

probe::ServerUrl parse_udp_url(const std::string& text, const std::string& what) {
    std::string why;
    auto url = probe::parse_server_url(text, &why);
    if (!url)
        throw app::ConfigError(what + ": " + why, "e.g. stun:stun.example.org:3478");
    if (url->scheme != probe::UrlScheme::Stun || url->transport != probe::UrlTransport::Udp)
        throw app::ConfigError(what + ": " + app::quote_value(text) +
                                   " is not a stun: URI over UDP",
                               "NAT behaviour discovery runs over UDP: give stun:HOST[:PORT]");
    return *url;
}

// The shell around NatProbe: its UDP sockets and its timer on one io_context.
class NatShell {
public:
    NatShell(const probe::NatProbeConfig& config, const util::IpAddress& local_ip, app::Logger& log)
        : local_ip_(local_ip), log_(log), timer_(io_), probe_(config, Clock::now()) {}

    void run(Clock::time_point hard_deadline) {
        drain();
        while (!probe_.done()) {
            const auto now = Clock::now();
            if (now >= hard_deadline)
                throw app::ToolError("the NAT probe did not finish in time",
                                     "unexpected; please report it");
            io_.run_one_for(hard_deadline - now);
        }
    }

    const probe::NatReport& report() const { return probe_.report(); }

private:
    struct Socket {
        explicit Socket(asio::io_context& io) : socket(io) {}
        asio::ip::udp::socket socket;
        std::array<uint8_t, 2048> buffer{};
        asio::ip::udp::endpoint from;
    };

    void drain() {
        while (auto c = probe_.next_command()) {
            switch (c->kind) {
            case probe::CommandKind::Open:
                open(c->socket);
                break;
            case probe::CommandKind::Send:
                send(c->socket, c->to, c->bytes);
                break;
            case probe::CommandKind::Close:
                if (c->socket < sockets_.size() && sockets_[c->socket]) {
                    std::error_code ignored;
                    sockets_[c->socket]->socket.close(ignored);
                }
                break;
            }
        }
        arm_timer();
    }

    void open(probe::SocketId id) {
        if (sockets_.size() <= id)
            sockets_.resize(id + 1);
        // Closed sockets stay allocated until the end: a cancelled receive may still refer
        // to them.
        auto s = std::make_unique<Socket>(io_);
        std::error_code ec;
        const auto bind_to = net::to_udp({local_ip_, 0});
        s->socket.open(bind_to.protocol(), ec);
        if (!ec)
            s->socket.bind(bind_to, ec);
        asio::ip::udp::endpoint local;
        if (!ec)
            local = s->socket.local_endpoint(ec);
        if (ec)
            throw app::ToolError("cannot open a UDP socket on " + local_ip_.to_string() + ": " +
                                     ec.message(),
                                 "check the open-file limit and the local address");
        probe_.on_opened(id, net::from_asio(local));
        sockets_[id] = std::move(s);
        receive(id);
    }

    void send(probe::SocketId id, const util::Endpoint& to, std::span<const uint8_t> bytes) {
        if (id >= sockets_.size() || !sockets_[id])
            return;
        std::error_code ec;
        sockets_[id]->socket.send_to(asio::buffer(bytes.data(), bytes.size()), net::to_udp(to), 0,
                                     ec);
        // A refused send (a local firewall, no route) counts as a request that got no answer.
        if (ec)
            log_.debug("send failed", {{"to", to}, {"error", ec.message()}});
        else
            log_.trace("sent", {{"socket", id}, {"to", to}, {"bytes", bytes.size()}});
    }

    void receive(probe::SocketId id) {
        Socket* s = sockets_[id].get();
        s->socket.async_receive_from(
            asio::buffer(s->buffer), s->from,
            [this, id, s](const std::error_code& ec, std::size_t n) {
                if (ec == asio::error::operation_aborted || !s->socket.is_open())
                    return;
                if (!ec) {
                    const auto from = net::from_asio(s->from);
                    log_.trace("received", {{"socket", id}, {"from", from}, {"bytes", n}});
                    probe_.on_datagram(id, from, std::span<const uint8_t>(s->buffer.data(), n),
                                       Clock::now());
                    drain();
                }
                if (s->socket.is_open())
                    receive(id);
            });
    }

    void arm_timer() {
        const auto deadline = probe_.next_deadline();
        if (!deadline)
            return;
        timer_.expires_at(*deadline);
        timer_.async_wait([this](const std::error_code& ec) {
            if (ec)
                return;
            probe_.on_timer(Clock::now());
            drain();
        });
    }

    util::IpAddress local_ip_;
    app::Logger& log_;
    asio::io_context io_;
    asio::steady_timer timer_;
    std::vector<std::unique_ptr<Socket>> sockets_;
    probe::NatProbe probe_;
};

} // namespace

int run_nat(const NatOptions& options, app::Logger& log) {
    NatRunInfo info;
    info.url = parse_udp_url(options.url, "nat");
    info.hairpin_asked = options.hairpin;
    info.lifetime_asked = options.lifetime;
    std::vector<probe::ServerUrl> alt_urls;
    for (const auto& text : options.alt_servers)
        alt_urls.push_back(parse_udp_url(text, "--alt-server"));

    probe::NatProbeConfig config;
    config.server = resolve(info.url);
    for (const auto& url : alt_urls)
        config.alt_servers.push_back(resolve(url, config.server.address.family()));
    config.timeout = options.client.timeout;
    config.hairpin = options.hairpin;
    config.lifetime = options.lifetime;
    config.lifetime_max = options.lifetime_max;
    config.software = "rtc-probe " + std::string(app::toolkit_version());
    const auto local_ip = local_address_towards(config.server);
    log.debug("probing", {{"server", config.server}, {"local", local_ip}});

    // A safety net only: every request is bounded by --timeout and the lifetime search by
    // --lifetime-max, in at most LifetimeSearch::kMaxRounds rounds.
    const auto start = Clock::now();
    auto bound = 6 * options.client.timeout + std::chrono::seconds(10);
    if (options.lifetime)
        bound += static_cast<int>(probe::LifetimeSearch::kMaxRounds) *
                 (options.lifetime_max + 2 * options.client.timeout);
    NatShell shell(config, local_ip, log);
    shell.run(start + bound);
    info.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);

    const auto& report = shell.report();
    std::cout << (options.client.json ? nat_json(report, info) : nat_text(report, info))
              << std::flush;
    return report.exit_code();
}

} // namespace rtc::probe_tool

#include "ice_command.hpp"

#include "resolve.hpp"

#include "app/exit_codes.hpp"
#include "app/quote.hpp"
#include "crypto/random.hpp"
#include "ice/agent.hpp"
#include "ice/stream_framer.hpp"
#include "net/interfaces.hpp"
#include "net/socket_address.hpp"
#include "probe/server_url.hpp"

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/streambuf.hpp>
#include <asio/write.hpp>
#include <nlohmann/json.hpp>

#include <netinet/in.h>
#include <unistd.h>

#include <array>
#include <deque>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>

namespace rtc::probe_tool {

namespace {

using ice::Clock;
using ice::TimePoint;

// Lingering after the selection keeps answering the peer's checks, so that it can finish too.
constexpr std::chrono::milliseconds kLinger{1000};
constexpr std::size_t kMaxLine = 64 * 1024;
// How long the Refresh that deletes the allocation may take to leave over TCP.
constexpr std::chrono::milliseconds kReleaseFlush{500};

// stun: over UDP; turn: over UDP or TCP (RFC 7065 ?transport=tcp).
probe::ServerUrl parse_url(const std::string& text, const std::string& flag, bool turn) {
    std::string why;
    auto url = probe::parse_server_url(text, &why);
    if (!url)
        throw app::ConfigError(flag + ": " + why,
                               turn ? "e.g. turn:turn.example.org:3478" : "e.g. stun:192.0.2.1");
    const bool transport_ok = url->transport == probe::UrlTransport::Udp || turn;
    if (url->is_turn() != turn || url->secure() || !transport_ok)
        throw app::ConfigError(flag + ": " + app::quote_value(text) + " is not a " +
                                   (turn ? "turn: URI over UDP or TCP" : "stun: URI over UDP"),
                               turn ? "give turn:HOST[:PORT][?transport=tcp]"
                                    : "give stun:HOST[:PORT]");
    return *url;
}

// The shell around ice::Agent: one UDP socket per host address, a timer, stdin and, for TURN
// over TCP, a connection to the TURN server (connected, written and read asynchronously).
class IceShell {
public:
    IceShell(const IceOptions& options, app::Logger& log) : options_(options), log_(log) {}

    void open(const std::vector<util::IpAddress>& ips) {
        for (const auto& ip : ips) {
            auto s = std::make_unique<Socket>(io_);
            std::error_code ec;
            const auto bind_to = net::to_udp({ip, 0});
            s->socket.open(bind_to.protocol(), ec);
            if (!ec)
                s->socket.bind(bind_to, ec);
            asio::ip::udp::endpoint local;
            if (!ec)
                local = s->socket.local_endpoint(ec);
            if (ec)
                throw app::ToolError("cannot open a UDP socket on " + ip.to_string() + ": " +
                                         ec.message(),
                                     "check --host-ip: it must be a local address");
            bases_.push_back(net::from_asio(local));
            sockets_.push_back(std::move(s));
        }
    }

    const std::vector<util::Endpoint>& bases() const { return bases_; }

    // RFC 8656 §3.1: TURN over TCP. Connects without waiting; what the agent sends before the
    // connection is up is queued. A failed connection leaves the agent's Allocate unanswered,
    // so it gives up at its gathering deadline.
    void open_turn_stream(const util::Endpoint& server) {
        stream_ = std::make_unique<Stream>(io_);
        stream_->server = server;
        stream_->socket.async_connect(net::to_tcp(server), [this](const std::error_code& ec) {
            if (ec == asio::error::operation_aborted)
                return;
            if (ec) {
                log_.debug("TURN over TCP: cannot connect",
                           {{"to", stream_->server}, {"error", ec.message()}});
                close_stream();
                return;
            }
            log_.debug("TURN over TCP: connected", {{"to", stream_->server}});
            stream_->connected = true;
            read_stream();
            write_stream();
        });
    }

    // Runs the agent until it connects, fails or `deadline` passes.
    void run(ice::Agent& agent, TimePoint deadline) {
        agent_ = &agent;
        for (ice::SocketId i = 0; i < sockets_.size(); ++i)
            receive(i);
        drain();
        bool described = false;
        // Bounded: every turn of the loop runs at least one handler or reaches the deadline.
        while (Clock::now() < deadline) {
            if (agent.state() == ice::AgentState::Failed ||
                agent.state() == ice::AgentState::Connected)
                return;
            if (!described && agent.state() != ice::AgentState::Gathering) {
                described = true;
                describe(agent);
                read_stdin();
            }
            if (stdin_closed_ && !agent.selected() && agent.state() == ice::AgentState::Gathered)
                return;
            io_.run_one_until(deadline);
        }
    }

    // Keeps answering the peer's checks for a while after the selection.
    void linger(TimePoint until) {
        while (Clock::now() < until && io_.run_one_until(until) > 0) {
        }
    }

    // Deletes the TURN allocation (one Refresh, lifetime 0), sent before returning.
    void release(ice::Agent& agent) {
        agent.release_turn();
        drain();
        // Over TCP the Refresh leaves asynchronously: run the loop until it is written (bounded).
        const auto until = Clock::now() + kReleaseFlush;
        while (stream_ && !stream_->closed && stream_->connected && !stream_->queue.empty() &&
               Clock::now() < until && io_.run_one_until(until) > 0) {
        }
    }

    bool stdin_closed() const { return stdin_closed_; }

private:
    struct Socket {
        explicit Socket(asio::io_context& io) : socket(io) {}
        asio::ip::udp::socket socket;
        std::array<uint8_t, 2048> buffer{};
        asio::ip::udp::endpoint from;
    };
    struct Stream {
        explicit Stream(asio::io_context& io) : socket(io) {}
        asio::ip::tcp::socket socket;
        util::Endpoint server;
        ice::StreamFramer framer;
        std::deque<std::vector<uint8_t>> queue; // front: the write in flight, if writing
        bool connected = false;
        bool writing = false;
        bool closed = false;
    };
    static constexpr std::size_t kMaxStreamQueue = 256; // messages waiting for the connection

    void send_stream(std::vector<uint8_t> bytes) {
        if (!stream_ || stream_->closed || stream_->queue.size() >= kMaxStreamQueue)
            return;
        ice::StreamFramer::pad_for_stream(bytes); // RFC 8656 §12.5
        stream_->queue.push_back(std::move(bytes));
        write_stream();
    }

    void write_stream() {
        if (!stream_->connected || stream_->writing || stream_->closed || stream_->queue.empty())
            return;
        stream_->writing = true;
        asio::async_write(
            stream_->socket, asio::buffer(stream_->queue.front()),
            [this](const std::error_code& ec, std::size_t) {
                if (ec == asio::error::operation_aborted)
                    return;
                stream_->writing = false;
                if (ec) {
                    log_.debug("TURN over TCP: write failed", {{"error", ec.message()}});
                    close_stream();
                    return;
                }
                stream_->queue.pop_front();
                write_stream();
            });
    }

    void read_stream() {
        auto area = stream_->framer.write_area();
        if (area.empty()) {
            close_stream();
            return;
        }
        stream_->socket.async_read_some(
            asio::buffer(area.data(), area.size()),
            [this](const std::error_code& ec, std::size_t n) {
                if (ec == asio::error::operation_aborted)
                    return;
                if (ec) {
                    log_.debug("TURN over TCP: closed", {{"error", ec.message()}});
                    close_stream();
                    return;
                }
                stream_->framer.commit(n);
                // Bounded: each message consumes at least its 4-byte header.
                while (auto message = stream_->framer.next())
                    agent_->on_datagram(ice::kTurnStreamSocket, stream_->server, *message,
                                        Clock::now());
                if (stream_->framer.error()) {
                    log_.debug("TURN over TCP: unframed bytes from the server", {});
                    close_stream();
                    return;
                }
                drain();
                read_stream();
            });
    }

    void close_stream() {
        stream_->closed = true;
        stream_->queue.clear();
        std::error_code ignored;
        stream_->socket.close(ignored);
    }

    void describe(ice::Agent& agent) {
        std::cout << agent.local_description().to_json(options_.signal_json) << '\n' << std::flush;
        log_.debug("local description written", {{"candidates", agent.local_candidates().size()}});
    }

    void read_stdin() {
        stdin_ = std::make_unique<asio::posix::stream_descriptor>(io_);
        std::error_code ec;
        const int fd = ::dup(STDIN_FILENO);
        if (fd >= 0)
            stdin_->assign(fd, ec);
        if (fd < 0 || ec) {
            // A regular file cannot be polled: it is all there, so read it at once.
            if (fd >= 0 && ec)
                ::close(fd);
            std::string line;
            while (!agent_->selected() && std::getline(std::cin, line))
                on_line(line);
            stdin_closed_ = true;
            drain();
            return;
        }
        read_line();
    }

    void read_line() {
        asio::async_read_until(*stdin_, stdin_buffer_, '\n',
                               [this](const std::error_code& ec, std::size_t n) {
                                   if (ec) {
                                       stdin_closed_ = true;
                                       log_.debug("stdin closed", {{"error", ec.message()}});
                                       return;
                                   }
                                   std::string line(n, '\0');
                                   stdin_buffer_.sgetn(line.data(), static_cast<long>(n));
                                   on_line(line);
                                   drain();
                                   read_line();
                               });
    }

    void on_line(std::string_view line) {
        if (line.size() > kMaxLine)
            return;
        if (options_.signal_json && peer_joined(line)) {
            // A broadcast reaches the peers present only: one that joins after the description
            // went out gets it again (rtc-signal join --exec starts us as soon as it connects).
            describe(*agent_);
            return;
        }
        if (have_remote_)
            return;
        auto description = ice::Description::parse_json(line);
        if (!description) {
            log_.debug("ignored a line on stdin", {{"bytes", line.size()}});
            return;
        }
        have_remote_ = true;
        log_.debug("peer description read", {{"candidates", description->candidates.size()}});
        agent_->set_remote(*description, Clock::now());
    }

    // {"type":"joined",...} from rtc-signal (schema v1): another peer entered the room.
    static bool peer_joined(std::string_view line) {
        if (line.find("\"joined\"") == std::string_view::npos)
            return false;
        const auto j = nlohmann::json::parse(line, nullptr, false);
        if (!j.is_object())
            return false;
        const auto type = j.find("type");
        return type != j.end() && type->is_string() && *type == "joined";
    }

    void drain() {
        for (auto& t : agent_->take_transmits()) {
            if (t.socket == ice::kTurnStreamSocket) {
                send_stream(std::move(t.bytes));
                continue;
            }
            if (t.socket >= sockets_.size())
                continue;
            std::error_code ec;
            sockets_[t.socket]->socket.send_to(asio::buffer(t.bytes), net::to_udp(t.to), 0, ec);
            if (ec)
                log_.debug("send failed", {{"to", t.to}, {"error", ec.message()}});
            else
                log_.trace("sent", {{"socket", t.socket}, {"to", t.to}, {"bytes", t.bytes.size()}});
        }
        arm_timer();
    }

    void receive(ice::SocketId id) {
        Socket* s = sockets_[id].get();
        s->socket.async_receive_from(asio::buffer(s->buffer), s->from,
                                     [this, id, s](const std::error_code& ec, std::size_t n) {
                                         if (ec == asio::error::operation_aborted)
                                             return;
                                         if (!ec) {
                                             agent_->on_datagram(
                                                 id, net::from_asio(s->from),
                                                 std::span<const uint8_t>(s->buffer.data(), n),
                                                 Clock::now());
                                             drain();
                                         }
                                         receive(id);
                                     });
    }

    void arm_timer() {
        const auto deadline = agent_->next_deadline();
        if (!deadline)
            return;
        timer_.expires_at(*deadline);
        timer_.async_wait([this](const std::error_code& ec) {
            if (ec)
                return;
            agent_->on_timer(Clock::now());
            drain();
        });
    }

    const IceOptions& options_;
    app::Logger& log_;
    asio::io_context io_;
    asio::steady_timer timer_{io_};
    std::vector<std::unique_ptr<Socket>> sockets_;
    std::vector<util::Endpoint> bases_;
    std::unique_ptr<Stream> stream_;
    std::unique_ptr<asio::posix::stream_descriptor> stdin_;
    asio::streambuf stdin_buffer_{kMaxLine};
    bool stdin_closed_ = false;
    bool have_remote_ = false;
    ice::Agent* agent_ = nullptr;
};

std::string candidate_text(const ice::Candidate& c) {
    return std::string(ice::to_string(c.type)) + " " + c.address.to_string();
}

nlohmann::json candidate_json(const ice::Candidate& c) {
    return {{"type", ice::to_string(c.type)}, {"address", c.address.to_string()}};
}

} // namespace

int run_ice(const IceOptions& options, app::Logger& log) {
    ice::AgentConfig config;
    config.controlling = !options.controlled;
    config.relay_only = options.relay_only;
    config.ufrag = ice::random_ice_chars(8);
    config.pwd = ice::random_ice_chars(24);
    config.tie_breaker = crypto::random_u64();
    if (options.relay_only && options.turn_url.empty())
        throw app::ConfigError("--relay-only: needs --turn", "add --turn turn:HOST[:PORT]");
    if (!options.stun_url.empty())
        config.stun_server = resolve(parse_url(options.stun_url, "--stun", false));
    if (!options.turn_url.empty()) {
        if (options.user.empty() || options.password.empty())
            throw app::ConfigError("--turn: needs --user and --password",
                                   "give the TURN server's long-term credentials");
        const auto url = parse_url(options.turn_url, "--turn", true);
        config.turn_server = ice::TurnServerConfig{resolve(url), options.user, options.password,
                                                   url.transport == probe::UrlTransport::Tcp};
    }
    std::vector<util::IpAddress> ips;
    for (const auto& text : options.host_ips)
        if (auto ip = util::IpAddress::parse(text))
            ips.push_back(*ip);
    if (ips.empty())
        ips = net::interface_addresses(util::Family::V4);
    config.gather_timeout = std::min<std::chrono::milliseconds>(std::chrono::milliseconds(3000),
                                                                options.client.timeout / 3);

    const auto start = Clock::now();
    IceShell shell(options, log);
    shell.open(ips);
    if (config.turn_server && config.turn_server->tcp)
        shell.open_turn_stream(config.turn_server->server);
    ice::Agent agent(config, shell.bases(), start);
    shell.run(agent, start + options.client.timeout);
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);

    auto selected = agent.selected();
    std::vector<std::string> notes = agent.notes();
    if (!selected && agent.state() != ice::AgentState::Failed)
        notes.push_back(shell.stdin_closed() ? "stdin closed before the checks ended"
                                             : "no pair selected within --timeout");
    std::ostringstream out;
    if (options.client.json) {
        nlohmann::json j{{"version", 1},
                         {"result", selected ? "connected" : "failed"},
                         {"role", agent.controlling() ? "controlling" : "controlled"},
                         {"elapsed_ms", elapsed.count()},
                         {"role_switches", agent.role_switches()},
                         {"pairs", agent.pair_count()}};
        auto local = nlohmann::json::array();
        for (const auto& c : agent.local_candidates())
            local.push_back(candidate_json(c));
        j["local_candidates"] = std::move(local);
        if (selected) {
            j["selected"] = {{"local", candidate_json(selected->local)},
                             {"remote", candidate_json(selected->remote)},
                             {"rtt_ms", selected->rtt.count() / 1000.0}};
        }
        j["notes"] = notes;
        out << j.dump() << '\n';
    } else {
        if (selected) {
            out << "connected: " << candidate_text(selected->local) << " <-> "
                << candidate_text(selected->remote) << ", rtt " << std::fixed
                << std::setprecision(2) << selected->rtt.count() / 1000.0 << " ms ("
                << (agent.controlling() ? "controlling" : "controlled") << ")\n";
        } else {
            out << "failed: no candidate pair worked (" << agent.pair_count() << " pairs, "
                << ice::to_string(agent.state()) << ")\n";
        }
        for (const auto& note : notes)
            out << "  note: " << note << '\n';
    }
    (options.signal_json ? std::cerr : std::cout) << out.str() << std::flush;
    if (selected)
        shell.linger(Clock::now() + kLinger);
    shell.release(agent);
    return selected ? 0 : app::kExitFailure;
}

} // namespace rtc::probe_tool

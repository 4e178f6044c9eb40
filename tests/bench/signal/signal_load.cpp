#include "signal_load.hpp"

#include "net/ws_client.hpp"

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/resource.h>
#include <unistd.h>
#include <vector>

namespace rtc::bench {

namespace {

using Clock = std::chrono::steady_clock;

// Every bench message carries "bench:<send time in ns>" inside its payload; nothing else the
// servers send contains it (ids and rooms are made of letters, digits and '-').
constexpr std::string_view kMarker = "bench:";
// A realistic trickled ICE candidate, as the PeerJS browser client sends one.
constexpr std::string_view kCandidate =
    R"({"candidate":{"candidate":"candidate:2395300328 1 udp 2113937151 192.0.2.10 54400 typ )"
    R"(host generation 0 ufrag Xq3f network-cost 999","sdpMLineIndex":0,"sdpMid":"0"},)"
    R"("type":"data","connectionId":"dc_bench","t":")";

int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
        .count();
}

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// VmRSS of a process in kB, -1 if unreadable.
long read_rss_kb(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0)
            return std::strtol(line.c_str() + 6, nullptr, 10);
    }
    return -1;
}

// utime + stime of a process (every thread), -1 if unreadable.
double read_cpu_seconds(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto paren = text.rfind(')');
    if (paren == std::string::npos)
        return -1;
    std::istringstream fields(text.substr(paren + 1));
    std::string field;
    long utime = -1, stime = -1;
    for (int index = 3; fields >> field && index <= 15; ++index) { // fields 14, 15 (1-based)
        if (index == 14)
            utime = std::strtol(field.c_str(), nullptr, 10);
        else if (index == 15)
            stime = std::strtol(field.c_str(), nullptr, 10);
    }
    if (utime < 0 || stime < 0)
        return -1;
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double own_cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::string run_tag() {
    const auto mixed =
        static_cast<uint32_t>(getpid()) * 2654435761u ^ static_cast<uint32_t>(now_ns() / 1000);
    char buffer[16];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), mixed & 0xffffff, 36);
    (void)ec;
    return std::string(buffer, end);
}

class Load {
public:
    explicit Load(const SignalLoadConfig& config)
        : config_(config), tag_(run_tag()), setup_timer_(io_), phase_timer_(io_), pace_timer_(io_),
          guard_timer_(io_) {}

    SignalLoadResult run() {
        if (config_.mode == LoadMode::Idle) {
            add_peers(config_.warmup_connections, 'w');
            add_peers(config_.idle, 'i');
            open_range(0, config_.warmup_connections, [this] { after_warmup(); });
        } else {
            for (int i = 0; i < config_.pairs; ++i) {
                const int a = add_peer("a" + tag_ + "-" + std::to_string(i),
                                       "r" + tag_ + "-" + std::to_string(i));
                const int b = add_peer("b" + tag_ + "-" + std::to_string(i),
                                       "r" + tag_ + "-" + std::to_string(i));
                peers_[a].partner = b;
                peers_[b].partner = a;
                peers_[b].echoes = true;
            }
            open_range(0, static_cast<int>(peers_.size()), [this] { begin_load(); });
        }
        io_.run();
        result_.sent_total = sent_total_;
        result_.received_total = received_total_;
        return std::move(result_);
    }

private:
    struct Peer {
        std::string id;
        std::string room;
        std::shared_ptr<net::WsClient> ws;
        int partner = -1;
        bool echoes = false; // Rate: answers what it receives
        bool open = false;   // welcome / OPEN received
        bool closed = false; // on_close ran
    };

    int add_peer(std::string id, std::string room) {
        Peer peer;
        peer.id = std::move(id);
        peer.room = std::move(room);
        peers_.push_back(std::move(peer));
        return static_cast<int>(peers_.size()) - 1;
    }

    void add_peers(int count, char kind) {
        const int size = std::max(1, config_.idle_room_size);
        for (int k = 0; k < count; ++k)
            add_peer(kind + tag_ + "-" + std::to_string(k),
                     kind + tag_ + "-" + std::to_string(k / size));
    }

    // Opens peers [begin, end) with at most max_connecting handshakes at once; `done` runs
    // once every one of them opened or failed.
    template <class Done> void open_range(int begin, int end, Done done) {
        range_next_ = begin;
        range_end_ = end;
        range_settled_ = 0;
        range_size_ = end - begin;
        range_done_ = done;
        range_started_ = Clock::now();
        setup_timer_.expires_after(config_.setup_timeout);
        setup_timer_.async_wait([this](const std::error_code& ec) {
            if (ec || finishing_)
                return;
            note_error("setup timed out: " + std::to_string(range_settled_) + " of " +
                       std::to_string(range_size_) + " connections settled");
            finish();
        });
        launch();
        if (range_size_ == 0)
            asio::post(io_, [this] { settle_one(false); });
    }

    void launch() {
        while (!finishing_ && connecting_ < config_.max_connecting && range_next_ < range_end_)
            connect(range_next_++);
    }

    void connect(int index) {
        Peer& peer = peers_[static_cast<std::size_t>(index)];
        net::WsClientOptions options;
        options.url = "ws://" + config_.server.to_string() +
                      wire::target(config_, peer.room, peer.id, "t" + tag_);
        options.connect_timeout = std::chrono::seconds(20);
        options.close_timeout = std::chrono::seconds(2);
        ++connecting_;
        ++alive_;
        peer.ws = net::WsClient::connect(
            io_, std::move(options),
            {.on_open = nullptr,
             .on_message = [this, index](std::string_view data, bool) { on_message(index, data); },
             .on_close = [this, index](uint16_t code, std::string_view,
                                       std::string_view error) { on_close(index, code, error); }});
    }

    // One connection of the current range opened (`opened`) or failed.
    void settle_one(bool counted) {
        if (counted) {
            --connecting_;
            ++range_settled_;
        }
        launch();
        if (range_settled_ == range_size_ && range_done_) {
            setup_timer_.cancel();
            result_.setup_seconds += seconds_since(range_started_);
            auto done = std::move(range_done_);
            range_done_ = nullptr;
            if (!finishing_)
                asio::post(io_, std::move(done));
        }
    }

    void on_message(int index, std::string_view text) {
        const int64_t sent = wire::send_time_of(text);
        if (sent >= 0) {
            on_bench(index, sent);
            return;
        }
        const auto message = nlohmann::json::parse(text, nullptr, false);
        if (!message.is_object() || !message.contains("type") || !message["type"].is_string())
            return;
        const auto& type = message["type"].get_ref<const std::string&>();
        Peer& peer = peers_[static_cast<std::size_t>(index)];
        const bool ready = config_.dialect == Dialect::Rooms ? type == "welcome" : type == "OPEN";
        if (ready && !peer.open) {
            peer.open = true;
            ++result_.opened;
            settle_one(true);
        } else if (type == "error" || type == "expired" || type == "ERROR" || type == "ID-TAKEN" ||
                   type == "EXPIRE") {
            ++result_.server_errors;
            note_error(peer.id + " got " + std::string(text.substr(0, 200)));
        }
    }

    void on_bench(int index, int64_t sent) {
        ++received_total_;
        if (measuring_) {
            ++result_.relayed;
            result_.latency.record(now_ns() - sent);
        }
        const Peer& peer = peers_[static_cast<std::size_t>(index)];
        if (!stopping_ && (config_.mode == LoadMode::Window || peer.echoes))
            send(index);
        else if (stopping_ && received_total_ >= sent_total_)
            asio::post(io_, [this] { finish(); });
    }

    void on_close(int index, uint16_t code, std::string_view error) {
        Peer& peer = peers_[static_cast<std::size_t>(index)];
        peer.closed = true;
        --alive_;
        if (!peer.open) {
            ++result_.connect_failed;
            note_error(
                peer.id + ": " +
                (error.empty() ? "closed with " + std::to_string(code) : std::string(error)));
            if (!finishing_)
                settle_one(true);
        } else if (!finishing_) {
            ++result_.dropped;
            note_error(peer.id + " dropped: " +
                       (error.empty() ? "close code " + std::to_string(code) : std::string(error)));
        }
        if (finishing_ && alive_ == 0)
            guard_timer_.cancel();
    }

    void send(int from) {
        Peer& peer = peers_[static_cast<std::size_t>(from)];
        if (!peer.open || peer.closed)
            return;
        wire::write_message(buffer_, config_.dialect,
                            peers_[static_cast<std::size_t>(peer.partner)].id, now_ns(),
                            config_.pad);
        if (peer.ws->send_text(buffer_))
            ++sent_total_;
        else
            ++result_.send_refused;
    }

    // Window / Rate.
    void begin_load() {
        load_started_ = Clock::now();
        if (config_.mode == LoadMode::Window) {
            for (std::size_t i = 0; i < peers_.size(); ++i) {
                if (!peers_[i].echoes)
                    for (int k = 0; k < config_.window; ++k)
                        send(static_cast<int>(i));
            }
        } else {
            pace_next_ = Clock::now();
            pace();
        }
        phase_timer_.expires_after(config_.warmup);
        phase_timer_.async_wait([this](const std::error_code& ec) {
            if (!ec && !finishing_)
                start_measuring();
        });
    }

    void pace() {
        if (stopping_ || finishing_)
            return;
        // Sends from the first peers of the pairs, round robin, at rate/2: their partners echo.
        const double elapsed = seconds_since(load_started_);
        const auto due = static_cast<uint64_t>(elapsed * config_.rate / 2.0);
        const uint64_t burst_cap = static_cast<uint64_t>(config_.pairs) * 4;
        uint64_t count = due > paced_ ? due - paced_ : 0;
        if (count > burst_cap) { // after a stall: skip rather than flood
            paced_ += count - burst_cap;
            count = burst_cap;
        }
        for (uint64_t k = 0; k < count; ++k) {
            send(2 * next_pair_);
            next_pair_ = (next_pair_ + 1) % config_.pairs;
            ++paced_;
        }
        pace_next_ += std::chrono::microseconds(250);
        pace_timer_.expires_at(pace_next_);
        pace_timer_.async_wait([this](const std::error_code& ec) {
            if (!ec)
                pace();
        });
    }

    void start_measuring() {
        measuring_ = true;
        result_.relayed = 0;
        result_.latency = LatencyHistogram{};
        measure_started_ = Clock::now();
        cpu_before_ = config_.server_pid > 0 ? read_cpu_seconds(config_.server_pid) : -1;
        own_cpu_before_ = own_cpu_seconds();
        phase_timer_.expires_after(config_.duration);
        phase_timer_.async_wait([this](const std::error_code& ec) {
            if (!ec && !finishing_)
                stop_measuring();
        });
    }

    void stop_measuring() {
        measuring_ = false;
        stopping_ = true;
        result_.seconds = seconds_since(measure_started_);
        if (cpu_before_ >= 0) {
            const double after = read_cpu_seconds(config_.server_pid);
            result_.server_cpu_seconds = after >= 0 ? after - cpu_before_ : -1;
        }
        result_.loadgen_cpu_seconds = own_cpu_seconds() - own_cpu_before_;
        pace_timer_.cancel();
        if (received_total_ >= sent_total_) {
            finish();
            return;
        }
        phase_timer_.expires_after(config_.drain);
        phase_timer_.async_wait([this](const std::error_code& ec) {
            if (!ec)
                finish();
        });
    }

    // Idle.
    void after_warmup() {
        settle_then([this] {
            result_.rss_before_kb = config_.server_pid > 0 ? read_rss_kb(config_.server_pid) : -1;
            const int begin = config_.warmup_connections;
            open_range(begin, begin + config_.idle, [this] {
                settle_then([this] {
                    result_.rss_after_kb =
                        config_.server_pid > 0 ? read_rss_kb(config_.server_pid) : -1;
                    finish();
                });
            });
        });
    }

    template <class Next> void settle_then(Next next) {
        phase_timer_.expires_after(config_.settle);
        phase_timer_.async_wait([this, next](const std::error_code& ec) {
            if (!ec && !finishing_)
                next();
        });
    }

    void finish() {
        if (finishing_)
            return;
        finishing_ = true;
        setup_timer_.cancel();
        phase_timer_.cancel();
        pace_timer_.cancel();
        for (auto& peer : peers_) {
            if (peer.ws && !peer.closed)
                peer.ws->close();
        }
        if (alive_ > 0) {
            // Bounded: each close waits at most its close_timeout; this is a backstop.
            guard_timer_.expires_after(std::chrono::seconds(10));
            guard_timer_.async_wait([this](const std::error_code& ec) {
                if (!ec)
                    io_.stop();
            });
        }
    }

    void note_error(std::string text) {
        if (result_.first_error.empty())
            result_.first_error = std::move(text);
    }

    const SignalLoadConfig& config_;
    std::string tag_;
    asio::io_context io_{1};
    asio::steady_timer setup_timer_;
    asio::steady_timer phase_timer_;
    asio::steady_timer pace_timer_;
    asio::steady_timer guard_timer_;
    std::vector<Peer> peers_;
    SignalLoadResult result_;
    std::string buffer_;

    int connecting_ = 0;
    int alive_ = 0; // clients whose on_close has not run yet
    int range_next_ = 0;
    int range_end_ = 0;
    int range_settled_ = 0;
    int range_size_ = 0;
    std::function<void()> range_done_;
    Clock::time_point range_started_{};

    Clock::time_point load_started_{};
    Clock::time_point measure_started_{};
    Clock::time_point pace_next_{};
    uint64_t paced_ = 0;
    int next_pair_ = 0;
    bool measuring_ = false;
    bool stopping_ = false;
    bool finishing_ = false;
    uint64_t sent_total_ = 0;
    uint64_t received_total_ = 0;
    double cpu_before_ = -1;
    double own_cpu_before_ = 0;
};

} // namespace

namespace wire {

std::string target(const SignalLoadConfig& config, std::string_view room, std::string_view id,
                   std::string_view token) {
    std::string out;
    if (config.dialect == Dialect::Rooms) {
        // rtc-signal(1): ws://HOST:PORT/ROOM?id=PEER
        out.append("/").append(room).append("?id=").append(id);
    } else {
        // The PeerJS client's socket URL: {path}peerjs?key=K&id=ID&token=T&version=V
        out.append("/peerjs?key=")
            .append(config.peerjs_key)
            .append("&id=")
            .append(id)
            .append("&token=")
            .append(token)
            .append("&version=1.5.5");
    }
    return out;
}

void write_message(std::string& out, Dialect dialect, std::string_view to, int64_t send_ns,
                   int pad) {
    out.clear();
    if (dialect == Dialect::Rooms)
        out.append(R"({"type":"message","to":")").append(to).append(R"(","data":)");
    else
        out.append(R"({"type":"CANDIDATE","dst":")").append(to).append(R"(","payload":)");
    out.append(kCandidate).append(kMarker);
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), send_ns);
    (void)ec;
    out.append(digits, end).append("\"");
    if (pad > 0)
        out.append(R"(,"pad":")").append(static_cast<std::size_t>(pad), 'x').append("\"");
    out.append("}}");
}

int64_t send_time_of(std::string_view text) {
    const auto at = text.find(kMarker);
    if (at == std::string_view::npos)
        return -1;
    const char* begin = text.data() + at + kMarker.size();
    int64_t value = -1;
    auto [end, ec] = std::from_chars(begin, text.data() + text.size(), value);
    if (ec != std::errc{} || end == begin)
        return -1;
    return value;
}

} // namespace wire

SignalLoadResult run_signal_load(const SignalLoadConfig& config) {
    if (config.mode != LoadMode::Idle && config.pairs < 1)
        throw std::runtime_error("at least one pair is needed");
    if (config.mode == LoadMode::Rate && !(config.rate > 0))
        throw std::runtime_error("the rate must be positive");
    Load load(config);
    return load.run();
}

std::string to_json(const SignalLoadConfig& config, const SignalLoadResult& r) {
    nlohmann::json out;
    out["mode"] = config.mode == LoadMode::Idle     ? "idle"
                  : config.mode == LoadMode::Window ? "window"
                                                    : "rate";
    out["dialect"] = config.dialect == Dialect::Rooms ? "rooms" : "peerjs";
    out["server"] = config.server.to_string();
    out["opened"] = r.opened;
    out["connect_failed"] = r.connect_failed;
    out["dropped"] = r.dropped;
    out["server_errors"] = r.server_errors;
    out["first_error"] = r.first_error;
    out["setup_seconds"] = r.setup_seconds;
    if (config.mode == LoadMode::Idle) {
        out["warmup_connections"] = config.warmup_connections;
        out["idle"] = config.idle;
        out["rss_before_kb"] = r.rss_before_kb;
        out["rss_after_kb"] = r.rss_after_kb;
        return out.dump();
    }
    auto us = [&](double q) { return static_cast<double>(r.latency.percentile(q)) / 1000.0; };
    out["pairs"] = config.pairs;
    out["window"] = config.window;
    out["rate_target"] = config.rate;
    out["seconds"] = r.seconds;
    out["relayed"] = r.relayed;
    out["relayed_per_second"] = std::llround(r.relayed_per_second());
    out["sent_total"] = r.sent_total;
    out["received_total"] = r.received_total;
    out["lost"] = r.lost();
    out["send_refused"] = r.send_refused;
    out["server_cpu_seconds"] = r.server_cpu_seconds;
    out["loadgen_cpu_seconds"] = r.loadgen_cpu_seconds;
    out["latency_us"] = {{"p50", us(0.5)},
                         {"p90", us(0.9)},
                         {"p99", us(0.99)},
                         {"p999", us(0.999)},
                         {"max", static_cast<double>(r.latency.max()) / 1000.0}};
    return out.dump();
}

} // namespace rtc::bench

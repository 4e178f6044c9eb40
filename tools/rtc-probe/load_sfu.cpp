#include "load_sfu.hpp"

#include "probe_options.hpp"

#include "app/exit_codes.hpp"
#include "crypto/random.hpp"
#include "ice/agent.hpp"
#include "net/udp_batch_socket.hpp"
#include "rtp/demux.hpp"
#include "rtp/packet.hpp"
#include "rtp/receive_stats.hpp"
#include "rtp/rtcp_builder.hpp"
#include "sdp/answer.hpp"
#include "sdp/parse.hpp"
#include "srtp/session.hpp"
#include "stun/builder.hpp"
#include "stun/ice_attributes.hpp"
#include "stun/rfc8489_attributes.hpp"
#include "tls/context.hpp"
#include "tls/credentials.hpp"
#include "tls/engine.hpp"

#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/streambuf.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <array>
#include <iostream>
#include <map>
#include <memory>
#include <optional>

namespace rtc::probe_tool {

namespace {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using nlohmann::json;

constexpr std::chrono::milliseconds kTick{10};
constexpr std::size_t kMaxLine = 256 * 1024;
constexpr std::size_t kBufferSize = 2048;

std::span<const uint8_t> as_bytes(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

enum class Phase { WaitingRemote, Checking, Handshaking, Connected, Failed };

struct Stream {
    uint32_t ssrc = 0;
    uint32_t clock_rate = 90000;
    bool video = true;
    rtp::ReceiveStats stats;
};

struct Session {
    int id = 0;
    std::shared_ptr<net::UdpBatchSocket> socket;
    std::optional<ice::Agent> agent;
    std::unique_ptr<tls::Engine> dtls;
    std::optional<srtp::Session> srtp;
    std::string remote_fingerprint;
    std::string local_ufrag;
    std::string remote_ufrag;
    std::string remote_pwd;
    std::optional<util::Endpoint> remote;
    std::map<uint8_t, std::pair<uint32_t, bool>> payload_types; // pt -> (clock rate, video)
    std::vector<Stream> streams;
    Phase phase = Phase::WaitingRemote;
    uint32_t rr_ssrc = 0;
    TimePoint next_rr{};
    TimePoint next_consent{};
    uint64_t rtp_packets = 0;
    uint64_t rtp_bytes = 0;
    uint64_t video_packets = 0;
    uint64_t audio_packets = 0;
    uint64_t rtcp_packets = 0;
    uint64_t undecryptable = 0;
};

class SfuLoad {
public:
    SfuLoad(const LoadSfuOptions& options, app::Logger& log) : options_(options), log_(log) {
        auto ip = util::IpAddress::parse(options.host_ip);
        if (!ip)
            throw app::ConfigError("--host-ip: not an IP address: " + options.host_ip,
                                   "e.g. --host-ip 127.0.0.1");
        host_ = *ip;
        credentials_ = tls::Credentials::self_signed(std::chrono::system_clock::now());
        tls::ClientOptions co;
        co.transport = tls::Transport::Datagram;
        co.verify_peer = false;
        co.own = credentials_;
        co.dtls_srtp = true;
        // Patient: a server busy forwarding to hundreds of peers answers handshakes late, and
        // mbedTLS gives up once the doubling timer passes the maximum (RFC 6347 §4.2.4.1).
        co.dtls_retransmit_min = std::chrono::milliseconds(500);
        co.dtls_retransmit_max = std::chrono::milliseconds(32000);
        dtls_context_ = tls::Context::client(co);
    }

    int run() {
        start_ = Clock::now();
        read_stdin();
        arm_tick();
        const auto end = start_ + options_.max_duration;
        while (!done_ && Clock::now() < end)
            io_.run_one_until(end);
        print_stats();
        bool all = !sessions_.empty();
        for (const auto& s : sessions_)
            all = all && s->phase == Phase::Connected;
        return all ? app::kExitOk : app::kExitFailure;
    }

private:
    void emit(const json& j) { std::cout << j.dump() << '\n' << std::flush; }

    void fail(Session& s, const std::string& why) {
        if (s.phase == Phase::Failed)
            return;
        s.phase = Phase::Failed;
        emit({{"id", s.id}, {"event", "failed"}, {"error", why}});
        log_.debug("session failed", {{"id", std::to_string(s.id)}, {"error", why}});
    }

    void read_stdin() {
        stdin_ = std::make_unique<asio::posix::stream_descriptor>(io_);
        std::error_code ec;
        const int fd = ::dup(STDIN_FILENO);
        if (fd >= 0)
            stdin_->assign(fd, ec);
        if (fd < 0 || ec) {
            done_ = true;
            return;
        }
        read_line();
    }

    void read_line() {
        asio::async_read_until(*stdin_, stdin_buffer_, '\n',
                               [this](const std::error_code& ec, std::size_t n) {
                                   if (ec) {
                                       done_ = true;
                                       return;
                                   }
                                   std::string line(n, '\0');
                                   stdin_buffer_.sgetn(line.data(), static_cast<long>(n));
                                   on_line(line);
                                   if (!done_)
                                       read_line();
                               });
    }

    void on_line(const std::string& line) {
        if (line.size() > kMaxLine)
            return;
        const json j = json::parse(line, nullptr, false);
        if (!j.is_object() || !j.contains("op") || !j["op"].is_string())
            return;
        const std::string op = j["op"].get<std::string>();
        const int id = j.contains("id") && j["id"].is_number_integer() ? j["id"].get<int>() : -1;
        const std::string sdp =
            j.contains("sdp") && j["sdp"].is_string() ? j["sdp"].get<std::string>() : "";
        if (op == "quit") {
            done_ = true;
        } else if (op == "stats") {
            print_stats();
        } else if (op == "offer") {
            if (auto* s = create(id, true))
                emit({{"id", id}, {"offer", local_offer(*s)}});
        } else if (op == "answer") {
            if (auto* s = find(id))
                on_answer(*s, sdp);
        } else if (op == "remote_offer") {
            if (auto* s = create(id, false))
                on_remote_offer(*s, sdp);
        }
    }

    Session* find(int id) {
        for (auto& s : sessions_)
            if (s->id == id)
                return s.get();
        return nullptr;
    }

    Session* create(int id, bool controlling) {
        if (id < 0 || find(id) || static_cast<int>(sessions_.size()) >= options_.max_sessions)
            return nullptr;
        auto s = std::make_unique<Session>();
        s->id = id;
        net::UdpBatchOptions uo;
        uo.batch_size = 16;
        uo.reuse_port = false;
        uo.receive_buffer = 1 << 20;
        uo.gso = false;
        std::error_code ec;
        s->socket = net::UdpBatchSocket::open(io_, {host_, 0}, uo, ec);
        if (!s->socket) {
            emit({{"id", id}, {"event", "failed"}, {"error", "cannot bind: " + ec.message()}});
            return nullptr;
        }
        Session* raw = s.get();
        s->socket->start(
            [this, raw](net::UdpBatchSocket&, std::span<const net::ReceivedDatagram> batch) {
                for (const auto& d : batch)
                    on_datagram(*raw, d);
            });
        ice::AgentConfig ac;
        ac.controlling = controlling;
        ac.tie_breaker = crypto::random_u64();
        ac.ufrag = ice::random_ice_chars(8);
        ac.pwd = ice::random_ice_chars(24);
        ac.ta = std::chrono::milliseconds(5);
        s->local_ufrag = ac.ufrag;
        s->agent.emplace(ac, std::vector<util::Endpoint>{s->socket->local_endpoint()},
                         Clock::now());
        s->rr_ssrc = crypto::random_u32();
        flush_agent(*s);
        sessions_.push_back(std::move(s));
        return raw;
    }

    // RFC 8829 §5.2.1: a recvonly audio (opus) and video (VP8) section in one BUNDLE.
    std::string local_offer(Session& s) {
        const auto local = s.agent->local_description();
        sdp::SessionDescription d;
        d.origin.session_id = std::to_string(crypto::random_u32());
        d.groups.push_back({"BUNDLE", {"0", "1"}});
        d.msid_semantic = "WMS";
        const auto base = s.socket->local_endpoint();
        for (int i = 0; i < 2; ++i) {
            sdp::MediaDescription m;
            const bool video = i == 1;
            m.kind = video ? sdp::MediaKind::Video : sdp::MediaKind::Audio;
            m.media = video ? "video" : "audio";
            m.port = base.port;
            m.connection = sdp::Connection{"IN", "IP4", base.address.to_string()};
            m.mid = std::to_string(i);
            m.direction = sdp::Direction::RecvOnly;
            m.ice_ufrag = local.ufrag;
            m.ice_pwd = local.pwd;
            m.fingerprints.push_back({"sha-256", credentials_->fingerprint_sha256()});
            m.setup = "actpass";
            m.rtcp_mux = true;
            sdp::Codec c;
            if (video) {
                c.payload_type = 96;
                c.name = "VP8";
                c.clock_rate = 90000;
                c.rtcp_fb = {"nack", "nack pli"};
            } else {
                c.payload_type = 111;
                c.name = "opus";
                c.clock_rate = 48000;
                c.channels = 2;
                c.fmtp = "minptime=10;useinbandfec=1";
            }
            m.formats.push_back(std::to_string(c.payload_type));
            m.codecs.push_back(c);
            m.extmaps.push_back({1, std::nullopt, "urn:ietf:params:rtp-hdrext:sdes:mid", ""});
            if (i == 0)
                for (const auto& cand : local.candidates)
                    m.candidates.push_back(cand.to_sdp().substr(10)); // after "candidate:"
            d.media.push_back(std::move(m));
        }
        return sdp::serialize(d);
    }

    // The remote's ICE credentials, candidates (every section: BUNDLE puts them on the first),
    // fingerprint and payload types.
    bool take_remote(Session& s, const sdp::SessionDescription& d, std::string& why) {
        const auto ice = sdp::effective_ice(d, 0);
        const auto fp = sdp::effective_fingerprint(d, 0);
        if (ice.ufrag.empty() || ice.pwd.empty() || !fp) {
            why = "no ICE credentials or fingerprint in the remote description";
            return false;
        }
        s.remote_ufrag = ice.ufrag;
        s.remote_pwd = ice.pwd;
        s.remote_fingerprint = fp->value;
        ice::Description remote;
        remote.type = ice::DescriptionType::Answer;
        remote.ufrag = ice.ufrag;
        remote.pwd = ice.pwd;
        for (const auto& m : d.media) {
            for (const auto& text : m.candidates)
                if (auto c = ice::Candidate::parse_sdp(text);
                    c && c->address.address.family() == host_.family())
                    remote.candidates.push_back(*c);
            for (const auto& c : m.codecs)
                if (!sdp::iequals(c.name, "rtx"))
                    s.payload_types[c.payload_type] = {c.clock_rate ? c.clock_rate : 90000,
                                                       m.kind == sdp::MediaKind::Video};
        }
        if (remote.candidates.empty()) {
            why = "no usable candidate in the remote description";
            return false;
        }
        s.agent->set_remote(remote, Clock::now());
        s.phase = Phase::Checking;
        flush_agent(s);
        return true;
    }

    void on_answer(Session& s, const std::string& text) {
        auto parsed = sdp::parse(text);
        std::string why;
        if (!parsed) {
            fail(s, "answer: " + parsed.error);
            return;
        }
        // RFC 8842 §5.3: we offered actpass; only a passive answer leaves us the DTLS client.
        const auto setup = sdp::effective_setup(*parsed.description, 0);
        if (setup == "active") {
            fail(s, "the answer takes the DTLS client role (a=setup:active)");
            return;
        }
        if (!take_remote(s, *parsed.description, why))
            fail(s, why);
    }

    void on_remote_offer(Session& s, const std::string& text) {
        auto parsed = sdp::parse(text);
        if (!parsed) {
            fail(s, "offer: " + parsed.error);
            return;
        }
        const auto& offer = *parsed.description;
        // RFC 8445 §6.1.1: against an ICE-lite peer we control whatever the offer order says.
        if (offer.ice_lite && !s.agent->controlling()) {
            fail(s, "an ICE-lite offerer needs a controlling answerer: not supported");
            return;
        }
        const auto local = s.agent->local_description();
        sdp::AnswerOptions ao;
        ao.ice_ufrag = local.ufrag;
        ao.ice_pwd = local.pwd;
        ao.fingerprint = credentials_->fingerprint_sha256();
        ao.setup = "active";
        ao.ice_lite = false;
        ao.codecs = {"opus", "VP8"};
        ao.rtx = false;
        ao.max_codecs = 1;
        ao.rtcp_fb = {"nack", "nack pli"};
        ao.header_extensions = {"urn:ietf:params:rtp-hdrext:sdes:mid"};
        const auto base = s.socket->local_endpoint();
        ao.candidates.push_back({base.address.to_string(), base.port, "udp"});
        std::vector<sdp::MediaPlan> plans(offer.media.size());
        for (auto& p : plans)
            p.direction = sdp::Direction::RecvOnly;
        auto answer = sdp::build_answer(offer, ao, plans);
        if (!answer) {
            fail(s, "cannot answer: " + answer.error);
            return;
        }
        emit({{"id", s.id}, {"answer", sdp::serialize(*answer.answer)}});
        std::string why;
        if (!take_remote(s, offer, why))
            fail(s, why);
    }

    void flush_agent(Session& s) {
        for (auto& t : s.agent->take_transmits())
            s.socket->send(t.bytes, t.to);
        if (s.phase == Phase::Checking) {
            if (s.agent->state() == ice::AgentState::Failed) {
                fail(s, "ICE failed");
            } else if (auto pair = s.agent->selected();
                       pair && s.agent->state() == ice::AgentState::Connected) {
                s.remote = pair->remote.address;
                start_dtls(s);
            }
        }
    }

    void start_dtls(Session& s) {
        s.phase = Phase::Handshaking;
        s.dtls = std::make_unique<tls::Engine>(dtls_context_);
        s.dtls->start(Clock::now());
        flush_dtls(s);
    }

    void flush_dtls(Session& s) {
        for (auto out = s.dtls->pending_output(); !out.empty(); out = s.dtls->pending_output()) {
            s.socket->send(out, *s.remote);
            s.dtls->consume_output();
        }
        while (!s.dtls->pending_plaintext().empty())
            s.dtls->consume_plaintext(s.dtls->pending_plaintext().size());
        if (s.phase != Phase::Handshaking)
            return;
        if (s.dtls->state() == tls::EngineState::Failed ||
            s.dtls->state() == tls::EngineState::Closed) {
            fail(s, "DTLS: " + s.dtls->error());
            return;
        }
        if (!s.dtls->is_open())
            return;
        const auto keys = s.dtls->srtp_keying();
        if (!keys) {
            fail(s, "DTLS: the server did not agree on use_srtp");
            return;
        }
        // RFC 8122 §5: the certificate must be the one the SDP announced.
        if (!tls::same_fingerprint(s.dtls->peer_fingerprint_sha256(), s.remote_fingerprint)) {
            fail(s, "DTLS: certificate fingerprint differs from the SDP's");
            return;
        }
        s.srtp.emplace(*keys, srtp::Role::DtlsClient);
        s.phase = Phase::Connected;
        const auto now = Clock::now();
        s.next_rr = now + options_.rr_interval;
        s.next_consent = now + options_.consent_interval;
        emit({{"id", s.id}, {"event", "connected"}});
    }

    void on_datagram(Session& s, const net::ReceivedDatagram& d) {
        if (s.phase == Phase::Failed || d.truncated)
            return;
        const auto now = Clock::now();
        switch (rtp::classify(d.data)) {
        case rtp::PacketKind::Stun:
            s.agent->on_datagram(0, d.source, d.data, now);
            flush_agent(s);
            return;
        case rtp::PacketKind::Dtls:
            if (s.dtls) {
                s.dtls->feed(d.data, now);
                flush_dtls(s);
            }
            return;
        case rtp::PacketKind::Rtp:
            on_rtp(s, d.data, now);
            return;
        case rtp::PacketKind::Rtcp:
            if (s.srtp) {
                std::size_t len = d.data.size();
                std::copy(d.data.begin(), d.data.end(), scratch_.begin());
                if (s.srtp->unprotect_rtcp(scratch_, len))
                    ++s.rtcp_packets;
                else
                    ++s.undecryptable;
            }
            return;
        default:
            return;
        }
    }

    void on_rtp(Session& s, std::span<const uint8_t> data, TimePoint now) {
        if (!s.srtp || data.size() > scratch_.size())
            return;
        std::copy(data.begin(), data.end(), scratch_.begin());
        std::size_t len = data.size();
        if (!s.srtp->unprotect_rtp(scratch_, len)) {
            ++s.undecryptable;
            return;
        }
        const auto view = rtp::RtpView::parse({scratch_.data(), len});
        if (!view)
            return;
        Stream* stream = nullptr;
        for (auto& st : s.streams)
            if (st.ssrc == view->ssrc())
                stream = &st;
        if (!stream) {
            auto pt = s.payload_types.find(view->payload_type());
            if (pt == s.payload_types.end())
                return; // rtx or unknown: not counted
            s.streams.push_back({view->ssrc(), pt->second.first, pt->second.second, {}});
            stream = &s.streams.back();
        }
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now - start_);
        const auto arrival =
            static_cast<uint32_t>(static_cast<uint64_t>(us.count()) * stream->clock_rate / 1000000);
        stream->stats.update(view->sequence(), view->timestamp(), arrival);
        ++s.rtp_packets;
        s.rtp_bytes += data.size();
        ++(stream->video ? s.video_packets : s.audio_packets);
    }

    // RFC 3550 §6.4.2: one RR with a block per SSRC received.
    void send_rr(Session& s) {
        std::array<rtp::ReportBlock, 4> blocks;
        std::size_t n = 0;
        for (auto& st : s.streams)
            if (n < blocks.size() && st.stats.started())
                blocks[n++] = st.stats.report_block(st.ssrc, 0, 0);
        std::size_t len = rtp::build_receiver_report(rtcp_, s.rr_ssrc, {blocks.data(), n});
        if (len > 0 && s.srtp->protect_rtcp(rtcp_, len))
            s.socket->send({rtcp_.data(), len}, *s.remote);
    }

    // RFC 7675 §5.1: a Binding request on the selected pair keeps the server's consent.
    void send_consent(Session& s) {
        stun::TransactionId id;
        crypto::random_bytes(id);
        std::array<uint8_t, 512> buffer{};
        stun::MessageBuilder b(buffer, stun::Method::Binding, stun::MessageClass::Request, id);
        b.add(stun::Username{s.remote_ufrag + ":" + s.local_ufrag});
        b.add(stun::Priority{ice::candidate_priority(ice::CandidateType::PeerReflexive, 65535)});
        b.add(stun::IceControlling{1});
        b.add_message_integrity(as_bytes(s.remote_pwd));
        b.add_fingerprint();
        if (b.ok())
            s.socket->send(b.bytes(), *s.remote);
    }

    void arm_tick() {
        timer_.expires_after(kTick);
        timer_.async_wait([this](const std::error_code& ec) {
            if (ec)
                return;
            tick();
            arm_tick();
        });
    }

    void tick() {
        const auto now = Clock::now();
        for (auto& sp : sessions_) {
            auto& s = *sp;
            if (s.phase == Phase::Failed)
                continue;
            if (auto d = s.agent->next_deadline(); d && *d <= now) {
                s.agent->on_timer(now);
                flush_agent(s);
            }
            if (s.dtls && s.phase == Phase::Handshaking) {
                if (auto d = s.dtls->next_deadline(); d && *d <= now) {
                    s.dtls->on_timer(now);
                    flush_dtls(s);
                }
            }
            if (s.phase != Phase::Connected)
                continue;
            if (now >= s.next_rr) {
                send_rr(s);
                s.next_rr = now + options_.rr_interval;
            }
            if (s.agent->controlling() && now >= s.next_consent) {
                send_consent(s);
                s.next_consent = now + options_.consent_interval;
            }
        }
    }

    void print_stats() {
        uint64_t packets = 0, bytes = 0, video = 0, audio = 0, rtcp = 0, bad = 0;
        int64_t lost = 0, expected = 0;
        int connected = 0, failed = 0, receiving = 0;
        uint64_t min_video = UINT64_MAX;
        for (const auto& s : sessions_) {
            connected += s->phase == Phase::Connected;
            failed += s->phase == Phase::Failed;
            receiving += s->video_packets > 0 && s->audio_packets > 0;
            packets += s->rtp_packets;
            bytes += s->rtp_bytes;
            video += s->video_packets;
            audio += s->audio_packets;
            rtcp += s->rtcp_packets;
            bad += s->undecryptable;
            min_video = std::min(min_video, s->video_packets);
            for (const auto& st : s->streams) {
                const int64_t l = st.stats.cumulative_lost();
                lost += l;
                expected += static_cast<int64_t>(st.stats.packets_received()) + l;
            }
        }
        const auto seconds = std::chrono::duration<double>(Clock::now() - start_).count();
        emit({{"stats",
               {{"seconds", seconds},
                {"sessions", sessions_.size()},
                {"connected", connected},
                {"failed", failed},
                {"receiving", receiving},
                {"packets", packets},
                {"bytes", bytes},
                {"video_packets", video},
                {"audio_packets", audio},
                {"min_video_packets", sessions_.empty() ? 0 : min_video},
                {"rtcp_packets", rtcp},
                {"undecryptable", bad},
                {"expected", expected},
                {"lost", lost}}}});
    }

    LoadSfuOptions options_;
    app::Logger& log_;
    util::IpAddress host_;
    std::shared_ptr<const tls::Credentials> credentials_;
    std::shared_ptr<const tls::Context> dtls_context_;
    asio::io_context io_;
    asio::steady_timer timer_{io_};
    std::unique_ptr<asio::posix::stream_descriptor> stdin_;
    asio::streambuf stdin_buffer_{kMaxLine + 1};
    std::vector<std::unique_ptr<Session>> sessions_;
    std::array<uint8_t, kBufferSize + srtp::Session::kMaxRtcpTrailer> scratch_{};
    std::array<uint8_t, 256 + srtp::Session::kMaxRtcpTrailer> rtcp_{};
    TimePoint start_{};
    bool done_ = false;
};

} // namespace

int run_load_sfu(const LoadSfuOptions& options, app::Logger& log) {
    SfuLoad load(options, log);
    return load.run();
}

CLI::App* add_load_sfu_command(CLI::App& load, LoadSfuOptions& options) {
    auto* sfu = load.add_subcommand(
        "sfu", "Receive from an SFU with many WebRTC sessions (ICE, DTLS-SRTP, RTP statistics) "
               "driven by JSON lines on stdin (offers, answers, stats); for benchmarks");
    sfu->fallthrough();
    sfu->add_option("--host-ip", options.host_ip,
                    "Local address every session binds its UDP socket to (default 127.0.0.1)")
        ->type_name("IP");
    sfu->add_option("--max-sessions", options.max_sessions, "Most sessions (default 2000)")
        ->check(CLI::Range(1, 10000))
        ->type_name("N");
    add_duration(*sfu, "--rr-interval", options.rr_interval, std::chrono::milliseconds(100),
                 std::chrono::seconds(60), "RTCP receiver report period (default 1s)");
    add_duration(*sfu, "--max-duration", options.max_duration, std::chrono::seconds(1),
                 std::chrono::hours(1), "The run ends by itself after this (default 10m)");
    return sfu;
}

} // namespace rtc::probe_tool

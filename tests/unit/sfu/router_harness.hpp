#pragma once
// A browser-like peer for sfu::Router unit tests: its own certificate, an ICE check, a DTLS
// client, SRTP both ways; and a sink that queues what the Router sends.
#include "rtp/rtcp.hpp"
#include "rtp/rtcp_builder.hpp"
#include "sdp/parse.hpp"
#include "sfu/router.hpp"
#include "srtp/session.hpp"
#include "stun/attributes.hpp"
#include "stun/builder.hpp"
#include "tls/context.hpp"
#include "tls/credentials.hpp"
#include "tls/engine.hpp"

#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace rtc::sfu_test {

using TimePoint = sfu::Router::TimePoint;

struct Datagram {
    std::vector<uint8_t> bytes;
    util::Endpoint to;
};

struct QueueSink final : sfu::DatagramSink {
    std::vector<Datagram> sent;
    void send(std::span<const uint8_t> datagram, const util::Endpoint& to) override {
        sent.push_back({{datagram.begin(), datagram.end()}, to});
    }
};

// A browser-like peer: its own certificate, an ICE check, a DTLS client, SRTP.
struct Client {
    util::Endpoint address;
    std::shared_ptr<const tls::Credentials> credentials = tls::Credentials::self_signed(
        std::chrono::system_clock::time_point(std::chrono::hours(24 * 20000)));
    std::optional<tls::Engine> dtls;
    std::optional<srtp::Session> srtp;
    // The a=setup of our offers: "actpass" (the SFU answers passive and we are the DTLS
    // client) or "passive" (we are the DTLS server, RFC 8842 §5.3).
    std::string setup = "actpass";

    explicit Client(uint16_t port) : address{util::IpAddress::parse("192.0.2.7").value(), port} {}

    // An offer in Chromium's shape with these (ICE ufrag, mid, kind, direction, port) sections.
    std::string offer(std::string_view ufrag, const std::vector<std::array<std::string, 4>>& ms) {
        std::string s = "v=0\r\no=- 7 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE";
        for (const auto& m : ms)
            if (m[3] != "0")
                s += " " + m[0];
        s += "\r\n";
        for (const auto& m : ms) {
            s +=
                "m=" + m[1] + " " + (m[3] == "0" ? "0" : "9") + " UDP/TLS/RTP/SAVPF 111\r\n" +
                "c=IN IP4 0.0.0.0\r\na=mid:" + m[0] + "\r\na=" + m[2] +
                "\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=ice-ufrag:" + std::string(ufrag) +
                "\r\na=ice-pwd:peerpasswordpeerpassword\r\n" + "a=fingerprint:sha-256 " +
                credentials->fingerprint_sha256() + "\r\na=setup:" + setup + "\r\n";
        }
        return s;
    }

    // RFC 8445 §7.2.2 check with USE-CANDIDATE, then the DTLS handshake (RFC 5764) to the end.
    void connect(sfu::Router& router, const std::string& answer, TimePoint now) {
        const auto ice = sdp::effective_ice(*sdp::parse(answer).description, 0);
        std::array<uint8_t, 512> buffer{};
        stun::TransactionId id{};
        id[0] = static_cast<uint8_t>(address.port);
        stun::MessageBuilder b(buffer, stun::Method::Binding, stun::MessageClass::Request, id);
        b.add(stun::Username{ice.ufrag + ":peer"});
        b.add(stun::Priority{1});
        b.add(stun::UseCandidate{});
        b.add(stun::IceControlling{7});
        b.add_message_integrity({reinterpret_cast<const uint8_t*>(ice.pwd.data()), ice.pwd.size()});
        b.add_fingerprint();
        REQUIRE(b.ok());
        QueueSink sink;
        router.on_datagram(b.bytes(), address, now, sink);

        if (setup == "passive") {
            tls::ServerOptions so;
            so.transport = tls::Transport::Datagram;
            so.dtls_srtp = true;
            so.dtls_cookie_exchange = false;
            dtls.emplace(tls::Context::server(credentials, so));
        } else {
            tls::ClientOptions co;
            co.transport = tls::Transport::Datagram;
            co.dtls_srtp = true;
            co.own = credentials;
            dtls.emplace(tls::Context::client(co));
            dtls->start(now);
        }
        for (int round = 0; round < 20 && !dtls->is_open(); ++round) {
            for (auto out = dtls->pending_output(); !out.empty(); out = dtls->pending_output()) {
                std::vector<uint8_t> copy(out.begin(), out.end());
                dtls->consume_output();
                router.on_datagram(copy, address, now, sink);
            }
            for (const auto& d : sink.sent)
                if (d.to == address && !d.bytes.empty() && d.bytes[0] >= 20 && d.bytes[0] <= 63)
                    dtls->feed(d.bytes, now);
            sink.sent.clear();
        }
        REQUIRE(dtls->is_open());
        for (auto out = dtls->pending_output(); !out.empty(); out = dtls->pending_output()) {
            std::vector<uint8_t> copy(out.begin(), out.end());
            dtls->consume_output();
            router.on_datagram(copy, address, now, sink);
        }
        auto keys = dtls->srtp_keying();
        REQUIRE(keys);
        srtp.emplace(*keys, setup == "passive" ? srtp::Role::DtlsServer : srtp::Role::DtlsClient);
    }

    // One SRTP audio packet (RFC 3550 §5.1, payload type 111).
    void send_rtp(sfu::Router& router, uint32_t ssrc, uint16_t sequence, TimePoint now,
                  QueueSink& sink) {
        std::vector<uint8_t> p = {0x80,
                                  111,
                                  uint8_t(sequence >> 8),
                                  uint8_t(sequence),
                                  0,
                                  0,
                                  0,
                                  uint8_t(sequence),
                                  uint8_t(ssrc >> 24),
                                  uint8_t(ssrc >> 16),
                                  uint8_t(ssrc >> 8),
                                  uint8_t(ssrc),
                                  1,
                                  2,
                                  3,
                                  4};
        std::size_t length = p.size();
        p.resize(length + srtp::Session::kMaxTrailer);
        REQUIRE(srtp->protect_rtp(p, length));
        router.on_datagram(std::span(p).first(length), address, now, sink);
    }

    struct Received {
        uint32_t ssrc = 0;
        uint16_t sequence = 0;
        uint32_t timestamp = 0;
    };
    // The SRTP packets sent to this client.
    std::vector<Received> received(QueueSink& sink) {
        std::vector<Received> out;
        for (auto& d : sink.sent) {
            if (d.to != address || d.bytes.size() < 12 || d.bytes[0] < 128 || d.bytes[0] > 191)
                continue;
            const int type = d.bytes[1] & 0x7F;
            if (type >= 64 && type <= 95) // RFC 5761 §4: RTCP, not RTP
                continue;
            std::size_t length = d.bytes.size();
            d.bytes.resize(length + srtp::Session::kMaxTrailer);
            if (!srtp->unprotect_rtp(d.bytes, length))
                continue;
            const auto& b = d.bytes;
            out.push_back(
                {(uint32_t(b[8]) << 24) | (uint32_t(b[9]) << 16) | (uint32_t(b[10]) << 8) | b[11],
                 uint16_t((b[2] << 8) | b[3]),
                 (uint32_t(b[4]) << 24) | (uint32_t(b[5]) << 16) | (uint32_t(b[6]) << 8) | b[7]});
        }
        sink.sent.clear();
        return out;
    }

    // A protected SR (RFC 3550 §6.4.1) from this client for `ssrc`.
    void send_sender_report(sfu::Router& router, uint32_t ssrc, uint64_t ntp,
                            uint32_t rtp_timestamp, TimePoint now, QueueSink& sink) {
        std::vector<uint8_t> p(1500 + srtp::Session::kMaxRtcpTrailer);
        std::size_t length = rtp::build_sender_report(p, {ssrc, ntp, rtp_timestamp, 1, 100}, {});
        REQUIRE(length > 0);
        REQUIRE(srtp->protect_rtcp(p, length));
        router.on_datagram(std::span(p).first(length), address, now, sink);
    }

    // The SRTCP compound packets sent to this client, unprotected.
    std::vector<std::vector<uint8_t>> rtcp(QueueSink& sink) {
        std::vector<std::vector<uint8_t>> out;
        for (auto& d : sink.sent) {
            if (d.to != address || d.bytes.size() < 8 || d.bytes[0] < 128 || d.bytes[0] > 191)
                continue;
            const int type = d.bytes[1] & 0x7F;
            if (type < 64 || type > 95) // RFC 5761 §4: RTP, not RTCP
                continue;
            std::size_t length = d.bytes.size();
            d.bytes.resize(length + srtp::Session::kMaxRtcpTrailer);
            if (srtp->unprotect_rtcp(d.bytes, length))
                out.emplace_back(d.bytes.begin(), d.bytes.begin() + length);
        }
        sink.sent.clear();
        return out;
    }

    // The SRs in the SRTCP packets sent to this client.
    std::vector<rtp::SenderReport> sender_reports(QueueSink& sink) {
        std::vector<rtp::SenderReport> out;
        for (const auto& compound : rtcp(sink)) {
            rtp::RtcpIterator packets(compound);
            while (auto packet = packets.next())
                if (auto sr = rtp::parse_sender_report(*packet))
                    out.push_back(*sr);
        }
        return out;
    }
};

// A Router configuration for tests: a self-signed certificate, one UDP candidate.
inline sfu::RouterConfig test_config() {
    sfu::RouterConfig config;
    config.certificate = tls::Credentials::self_signed(
        std::chrono::system_clock::time_point(std::chrono::hours(24 * 20000)));
    config.candidates = {{util::IpAddress::parse("127.0.0.1").value(), 7882}};
    return config;
}

inline uint32_t answered_ssrc(const std::string& answer, std::size_t section) {
    const auto sd = *sdp::parse(answer).description;
    REQUIRE(section < sd.media.size());
    REQUIRE(!sd.media[section].ssrcs.empty());
    return sd.media[section].ssrcs.front().ssrc;
}

} // namespace rtc::sfu_test

#pragma once
// `rtc-probe load sfu`: many WebRTC receive-only sessions against an SFU in one process on one
// thread, each with its own UDP socket: ICE (ice::Agent), DTLS-SRTP client (tls::Engine,
// srtp::Session), per-SSRC reception statistics (RFC 3550 A.1/A.3) and an RTCP RR every
// --rr-interval. Signaling is left to a driver, over JSON lines on stdin/stdout, so one media
// engine serves any SFU (WHEP for rtc-sfu, Janus's HTTP API for Janus):
//
//   in:  {"op":"offer","id":K}            -> out: {"id":K,"offer":SDP}   (we offer, recvonly)
//        {"op":"answer","id":K,"sdp":S}   the server's answer to our offer
//        {"op":"remote_offer","id":K,"sdp":S} -> out: {"id":K,"answer":SDP} (the server offers)
//        {"op":"stats"}                   -> out: {"stats":{...}} (totals since the start)
//        {"op":"quit"} or end of input    -> out: the last {"stats":...}, exit 0
//   out: {"id":K,"event":"connected"} once SRTP is keyed; {"id":K,"event":"failed","error":E}
//
// The DTLS role is always client (our offer says actpass and expects passive; to an offer we
// answer active, RFC 8842 §5.3). Packets are not NACKed: the loss counted is what arrived.
#include "app/cli.hpp"
#include "app/log.hpp"

#include <chrono>
#include <string>

namespace rtc::probe_tool {

struct LoadSfuOptions {
    std::string host_ip = "127.0.0.1"; // --host-ip: every session's socket binds here
    std::chrono::milliseconds rr_interval{1000};
    std::chrono::milliseconds consent_interval{5000}; // RFC 7675 §5.1 checks when controlling
    std::chrono::milliseconds max_duration{600000};   // the run ends by itself after this
    int max_sessions = 2000;
};

// Adds `sfu` under `load`.
CLI::App* add_load_sfu_command(CLI::App& load, LoadSfuOptions& options);

// 0 when every session that was asked for got connected, 1 otherwise.
int run_load_sfu(const LoadSfuOptions& options, app::Logger& log);

} // namespace rtc::probe_tool

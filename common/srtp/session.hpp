#pragma once
// An SRTP/SRTCP session pair over libsrtp2 (RFC 3711), keyed from a DTLS-SRTP handshake
// (RFC 5764 §4.2): one libsrtp context protects what we send, one unprotects what we receive.
// Every SSRC shares the keys (ssrc_any_outbound / ssrc_any_inbound templates): libsrtp adds a
// stream per SSRC on first use, so an SFU forwards any number of SSRCs through one Session.
//
//   auto keys = dtls.srtp_keying();                       // rtc::tls::Engine, once Open
//   rtc::srtp::Session srtp(*keys, rtc::srtp::Role::DtlsServer);
//   std::array<uint8_t, 1500> buf;                         // packet + Session::kMaxTrailer room
//   std::size_t len = rtp_size;
//   if (srtp.protect_rtp(buf, len)) send({buf.data(), len});
//   if (!srtp.unprotect_rtp(datagram_buf, len)) drop();    // auth failure, replay, bad input
//
// Works in place on the caller's buffer and never allocates per packet (libsrtp allocates
// once per new SSRC). Not thread-safe: one Session belongs to one thread at a time.
#include "tls/engine.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

struct srtp_ctx_t_;

namespace rtc::srtp {

using tls::SrtpKeyingMaterial;
using tls::SrtpProfile;

// Our side of the DTLS handshake: the DTLS server sends with server_key/server_salt and
// receives with client_key/client_salt; the client the reverse (RFC 5764 §4.2).
enum class Role { DtlsServer, DtlsClient };

class Session {
public:
    // Room protect_rtp() needs after the packet (SRTP_MAX_TRAILER_LEN: tag + MKI), and
    // protect_rtcp() (plus the SRTCP E-flag/index word, RFC 3711 §3.4).
    static constexpr std::size_t kMaxTrailer = 16 + 128;
    static constexpr std::size_t kMaxRtcpTrailer = kMaxTrailer + 4;
    // Replay window of both directions (RFC 3711 §3.3.2).
    static constexpr unsigned kReplayWindow = 1024;

    // RTP uses the negotiated profile, RTCP always the 80-bit tag (RFC 5764 §4.1.2). Throws
    // std::runtime_error if libsrtp cannot initialise or create the contexts.
    Session(const SrtpKeyingMaterial& keys, Role role);
    ~Session();
    Session(Session&&) noexcept;
    Session& operator=(Session&&) noexcept;
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // `buffer` is the whole writable buffer, the packet its first `length` bytes; on success
    // `length` is the new size. protect_*: false if the packet is malformed or
    // buffer.size() < length + kMaxTrailer (kMaxRtcpTrailer for RTCP). unprotect_*: false on
    // malformed input, failed authentication (RFC 3711 §3.4) or replay (§3.3.2). Never throws; on
    // false the buffer content is unspecified and `length` unchanged.
    bool protect_rtp(std::span<uint8_t> buffer, std::size_t& length);
    bool unprotect_rtp(std::span<uint8_t> buffer, std::size_t& length);
    bool protect_rtcp(std::span<uint8_t> buffer, std::size_t& length);
    bool unprotect_rtcp(std::span<uint8_t> buffer, std::size_t& length);

    // Forgets the per-SSRC state (rollover counter, replay window) of a stream that ended, in
    // both directions; a later packet with this SSRC starts afresh. Unknown SSRCs are ignored.
    void remove_ssrc(uint32_t ssrc);

    SrtpProfile profile() const { return profile_; }

private:
    struct Deleter {
        void operator()(srtp_ctx_t_* ctx) const noexcept;
    };
    std::unique_ptr<srtp_ctx_t_, Deleter> outbound_;
    std::unique_ptr<srtp_ctx_t_, Deleter> inbound_;
    SrtpProfile profile_;
};

} // namespace rtc::srtp

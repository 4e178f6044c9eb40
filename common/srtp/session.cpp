#include "srtp/session.hpp"

#include <srtp2/srtp.h>

#include <arpa/inet.h>

#include <array>
#include <climits>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>

namespace rtc::srtp {

static_assert(Session::kMaxTrailer == SRTP_MAX_TRAILER_LEN);
static_assert(Session::kMaxRtcpTrailer == SRTP_MAX_TRAILER_LEN + 4); // srtp_protect_rtcp()

namespace {

constexpr std::size_t kRtpHeaderSize = 12; // RFC 3550 §5.1
constexpr std::size_t kRtcpHeaderSize = 8; // RFC 3550 §6.4.1: header + sender SSRC
constexpr std::size_t kSrtcpTrailer = 4;   // E flag + SRTCP index (RFC 3711 §3.4)
constexpr std::size_t kMaxPacket = INT_MAX - SRTP_MAX_TRAILER_LEN - kSrtcpTrailer;

// libsrtp is initialised once per process, on first use (srtp_init() is not idempotent).
void init_library() {
    static std::once_flag once;
    static srtp_err_status_t status = srtp_err_status_ok;
    std::call_once(once, [] { status = srtp_init(); });
    if (status != srtp_err_status_ok)
        throw std::runtime_error("cannot initialise libsrtp (error " +
                                 std::to_string(static_cast<int>(status)) + ")");
}

using MasterKey = std::array<uint8_t, SrtpKeyingMaterial::kKeySize + SrtpKeyingMaterial::kSaltSize>;

// libsrtp wants master key ‖ master salt in one buffer.
MasterKey master_key(const std::array<uint8_t, SrtpKeyingMaterial::kKeySize>& key,
                     const std::array<uint8_t, SrtpKeyingMaterial::kSaltSize>& salt) {
    MasterKey out;
    std::memcpy(out.data(), key.data(), key.size());
    std::memcpy(out.data() + key.size(), salt.data(), salt.size());
    return out;
}

srtp_ctx_t_* create(SrtpProfile profile, MasterKey& key, srtp_ssrc_type_t direction) {
    srtp_policy_t policy;
    std::memset(&policy, 0, sizeof(policy));
    if (profile == SrtpProfile::Aes128CmHmacSha1_32)
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy.rtp);
    else
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
    // RFC 5764 §4.1.2: SRTCP always uses the 80-bit tag, whatever the SRTP profile.
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
    policy.ssrc.type = direction;
    policy.key = key.data();
    policy.window_size = Session::kReplayWindow;
    // Outbound: an SFU resends the same packet (same sequence number) to answer NACKs.
    policy.allow_repeat_tx = direction == ssrc_any_outbound ? 1 : 0;
    policy.next = nullptr;
    srtp_t ctx = nullptr;
    const srtp_err_status_t status = srtp_create(&ctx, &policy);
    if (status != srtp_err_status_ok)
        throw std::runtime_error("cannot create an SRTP session (libsrtp error " +
                                 std::to_string(static_cast<int>(status)) + ")");
    return ctx;
}

// RFC 3550 §5.1: version 2, and the CSRC list and header extension fit in `length`.
bool plausible_rtp(std::span<const uint8_t> packet) {
    if (packet.size() < kRtpHeaderSize || (packet[0] >> 6) != 2)
        return false;
    std::size_t header = kRtpHeaderSize + 4 * (packet[0] & 0x0f);
    if ((packet[0] & 0x10) != 0) { // RFC 3550 §5.3.1 extension: 4-byte header + length words
        if (packet.size() < header + 4)
            return false;
        header += 4 + 4 * ((std::size_t{packet[header + 2]} << 8) | packet[header + 3]);
    }
    return header <= packet.size();
}

// RFC 3550 §6.4: version 2 and room for the header and the sender SSRC.
bool plausible_rtcp(std::span<const uint8_t> packet) {
    return packet.size() >= kRtcpHeaderSize && (packet[0] >> 6) == 2;
}

bool fits(std::span<uint8_t> buffer, std::size_t length, std::size_t room) {
    return length <= kMaxPacket && length <= buffer.size() && buffer.size() - length >= room;
}

} // namespace

void Session::Deleter::operator()(srtp_ctx_t_* ctx) const noexcept {
    srtp_dealloc(ctx);
}

Session::Session(const SrtpKeyingMaterial& keys, Role role) : profile_(keys.profile) {
    init_library();
    const bool server = role == Role::DtlsServer;
    // RFC 5764 §4.2: each side sends with its own key and salt.
    MasterKey send = server ? master_key(keys.server_key, keys.server_salt)
                            : master_key(keys.client_key, keys.client_salt);
    MasterKey receive = server ? master_key(keys.client_key, keys.client_salt)
                               : master_key(keys.server_key, keys.server_salt);
    outbound_.reset(create(profile_, send, ssrc_any_outbound));
    inbound_.reset(create(profile_, receive, ssrc_any_inbound));
    std::memset(send.data(), 0, send.size());
    std::memset(receive.data(), 0, receive.size());
}

Session::~Session() = default;
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;

bool Session::protect_rtp(std::span<uint8_t> buffer, std::size_t& length) {
    if (!outbound_ || !fits(buffer, length, kMaxTrailer) || !plausible_rtp(buffer.first(length)))
        return false;
    int len = static_cast<int>(length);
    if (srtp_protect(outbound_.get(), buffer.data(), &len) != srtp_err_status_ok)
        return false;
    length = static_cast<std::size_t>(len);
    return true;
}

bool Session::unprotect_rtp(std::span<uint8_t> buffer, std::size_t& length) {
    if (!inbound_ || !fits(buffer, length, 0) || !plausible_rtp(buffer.first(length)))
        return false;
    int len = static_cast<int>(length);
    if (srtp_unprotect(inbound_.get(), buffer.data(), &len) != srtp_err_status_ok)
        return false;
    length = static_cast<std::size_t>(len);
    return true;
}

bool Session::protect_rtcp(std::span<uint8_t> buffer, std::size_t& length) {
    // libsrtp writes the SRTCP index word and the tag (+ MKI) after the packet.
    if (!outbound_ || !fits(buffer, length, kMaxRtcpTrailer) ||
        !plausible_rtcp(buffer.first(length)))
        return false;
    int len = static_cast<int>(length);
    if (srtp_protect_rtcp(outbound_.get(), buffer.data(), &len) != srtp_err_status_ok)
        return false;
    length = static_cast<std::size_t>(len);
    return true;
}

bool Session::unprotect_rtcp(std::span<uint8_t> buffer, std::size_t& length) {
    // RFC 3711 §3.4: at least the header, the SRTCP index word and a tag.
    if (!inbound_ || !fits(buffer, length, 0) || !plausible_rtcp(buffer.first(length)) ||
        length < kRtcpHeaderSize + kSrtcpTrailer)
        return false;
    int len = static_cast<int>(length);
    if (srtp_unprotect_rtcp(inbound_.get(), buffer.data(), &len) != srtp_err_status_ok)
        return false;
    length = static_cast<std::size_t>(len);
    return true;
}

void Session::remove_ssrc(uint32_t ssrc) {
    // libsrtp takes the SSRC in network byte order.
    if (outbound_)
        srtp_remove_stream(outbound_.get(), htonl(ssrc));
    if (inbound_)
        srtp_remove_stream(inbound_.get(), htonl(ssrc));
}

} // namespace rtc::srtp

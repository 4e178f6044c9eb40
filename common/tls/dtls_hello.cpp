#include "tls/dtls_hello.hpp"

#include "tls/dtls_cookie.hpp"

#include <array>
#include <cstring>

namespace rtc::tls {

namespace {

constexpr uint8_t kContentHandshake = 22;    // RFC 5246 §6.2.1
constexpr uint8_t kClientHello = 1;          // RFC 5246 §7.4
constexpr uint8_t kHelloVerifyRequest = 3;   // RFC 6347 §4.3.2
constexpr std::size_t kRecordHeader = 13;    // RFC 6347 §4.1
constexpr std::size_t kHandshakeHeader = 12; // RFC 6347 §4.2.2
constexpr uint16_t kDtls10 = 0xFEFF;

uint32_t get(std::span<const uint8_t> b, std::size_t at, std::size_t n) {
    uint32_t v = 0;
    for (std::size_t i = 0; i < n; ++i)
        v = (v << 8) | b[at + i];
    return v;
}

void put(uint8_t* out, uint64_t v, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
        out[i] = static_cast<uint8_t>(v >> (8 * (n - 1 - i)));
}

} // namespace

std::optional<ClientHelloView> parse_client_hello(std::span<const uint8_t> d) {
    // RFC 6347 §4.1 record header: type, version, epoch, sequence_number(48), length.
    if (d.size() < kRecordHeader + kHandshakeHeader || d[0] != kContentHandshake)
        return std::nullopt;
    ClientHelloView v;
    v.record_version = static_cast<uint16_t>(get(d, 1, 2));
    if ((v.record_version >> 8) != 0xFE) // DTLS versions are 254.x
        return std::nullopt;
    if (get(d, 3, 2) != 0) // a ClientHello that opens a session is sent in epoch 0
        return std::nullopt;
    v.record_sequence = (uint64_t(get(d, 5, 2)) << 32) | get(d, 7, 4);
    const std::size_t record_len = get(d, 11, 2);
    if (record_len > d.size() - kRecordHeader)
        return std::nullopt;
    const auto record = d.subspan(kRecordHeader, record_len);
    // RFC 6347 §4.2.2 handshake header: msg_type, length(24), message_seq, fragment_offset(24),
    // fragment_length(24). Only a whole ClientHello can be screened.
    if (record.size() < kHandshakeHeader || record[0] != kClientHello)
        return std::nullopt;
    const std::size_t length = get(record, 1, 3);
    v.message_seq = static_cast<uint16_t>(get(record, 4, 2));
    if (get(record, 6, 3) != 0 || get(record, 9, 3) != length ||
        length > record.size() - kHandshakeHeader)
        return std::nullopt;
    const auto body = record.subspan(kHandshakeHeader, length);
    // RFC 6347 §4.2.1 ClientHello: client_version, random[32], session_id<0..32>,
    // cookie<0..2^8-1>, then cipher suites etc. (left to the TLS engine).
    std::size_t at = 0;
    if (body.size() < 2 + 32 + 1)
        return std::nullopt;
    v.client_version = static_cast<uint16_t>(get(body, 0, 2));
    v.random = body.subspan(2, 32);
    at = 34;
    const std::size_t sid_len = body[at++];
    if (sid_len > 32 || sid_len >= body.size() - at) // the cookie length byte must follow
        return std::nullopt;
    v.session_id = body.subspan(at, sid_len);
    at += sid_len;
    const std::size_t cookie_len = body[at++];
    if (cookie_len > body.size() - at)
        return std::nullopt;
    v.cookie = body.subspan(at, cookie_len);
    return v;
}

std::size_t write_hello_verify_request(const ClientHelloView& hello,
                                       std::span<const uint8_t> cookie, std::span<uint8_t> out) {
    if (cookie.size() > 255)
        return 0;
    const std::size_t body = 2 + 1 + cookie.size();
    const std::size_t total = kRecordHeader + kHandshakeHeader + body;
    if (out.size() < total)
        return 0;
    uint8_t* p = out.data();
    // RFC 6347 §4.2.1: the record carries the ClientHello's record sequence number, and
    // server_version is DTLS 1.0 whatever version will be negotiated.
    p[0] = kContentHandshake;
    put(p + 1, kDtls10, 2);
    put(p + 3, 0, 2); // epoch 0
    put(p + 5, hello.record_sequence & 0xFFFFFFFFFFFFull, 6);
    put(p + 11, kHandshakeHeader + body, 2);
    p += kRecordHeader;
    // The stateless server answers with the ClientHello's message_seq (RFC 6347 §4.2.2: both
    // are 0 in a first exchange); one unfragmented message.
    p[0] = kHelloVerifyRequest;
    put(p + 1, body, 3);
    put(p + 4, hello.message_seq, 2);
    put(p + 6, 0, 3);
    put(p + 9, body, 3);
    p += kHandshakeHeader;
    put(p, kDtls10, 2);
    p[2] = static_cast<uint8_t>(cookie.size());
    if (!cookie.empty())
        std::memcpy(p + 3, cookie.data(), cookie.size());
    return total;
}

HelloScreen screen_client_hello(const CookieJar& jar, std::span<const uint8_t> datagram,
                                std::span<const uint8_t> client_id, std::span<uint8_t> reply) {
    HelloScreen r;
    const auto hello = parse_client_hello(datagram);
    if (!hello)
        return r;
    if (!hello->cookie.empty() && jar.check(hello->cookie, client_id)) {
        r.verdict = HelloVerdict::Valid;
        return r;
    }
    // RFC 6347 §4.2.1: cookie = HMAC(secret, client address), so no state is kept here.
    r.verdict = hello->cookie.empty() ? HelloVerdict::NoCookie : HelloVerdict::BadCookie;
    std::array<uint8_t, CookieJar::kCookieSize> cookie{};
    jar.write(client_id, cookie);
    r.reply_size = write_hello_verify_request(*hello, cookie, reply);
    return r;
}

} // namespace rtc::tls

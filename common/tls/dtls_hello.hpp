#pragma once
// Just enough DTLS 1.2 parsing to answer a ClientHello statelessly (RFC 6347 §4.2.1): find the
// cookie in an unfragmented ClientHello and write the HelloVerifyRequest, both over the
// caller's buffers, allocating nothing. A DTLS server screens every datagram from an unknown
// address with screen_client_hello() and creates per-client state only for Valid.
//
//   std::array<uint8_t, rtc::tls::kHelloVerifyRequestMax> reply;
//   auto r = rtc::tls::screen_client_hello(jar, datagram, client_id, reply);
//   if (r.verdict == HelloVerdict::Valid) create_session();
//   else if (r.reply_size) send({reply.data(), r.reply_size});
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace rtc::tls {

class CookieJar;

// Record header (13) + handshake header (12) + server_version (2) + cookie length (1) + cookie.
inline constexpr std::size_t kHelloVerifyRequestMax = 13 + 12 + 2 + 1 + 255;

struct ClientHelloView {
    uint16_t record_version = 0;     // e.g. 0xFEFD, DTLS 1.2 (RFC 6347 §4.1)
    uint64_t record_sequence = 0;    // 48 bits
    uint16_t message_seq = 0;        // RFC 6347 §4.2.2
    uint16_t client_version = 0;     // RFC 5246 §7.4.1.2
    std::span<const uint8_t> random; // 32 bytes
    std::span<const uint8_t> session_id;
    std::span<const uint8_t> cookie; // empty in a first ClientHello
};

// The ClientHello at the start of `datagram`: a handshake record of epoch 0 carrying a whole
// (unfragmented) ClientHello. nullopt for anything else; never reads out of bounds.
std::optional<ClientHelloView> parse_client_hello(std::span<const uint8_t> datagram);

// Writes the HelloVerifyRequest answering `hello` (RFC 6347 §4.2.1) into `out`; returns its
// size, 0 if `out` is too small or the cookie longer than 255 bytes.
std::size_t write_hello_verify_request(const ClientHelloView& hello,
                                       std::span<const uint8_t> cookie, std::span<uint8_t> out);

enum class HelloVerdict {
    NotClientHello, // drop: no session may start from this datagram
    NoCookie,       // answered with a HelloVerifyRequest
    BadCookie,      // stale or forged: answered with a fresh HelloVerifyRequest
    Valid,          // the client proved it receives at its address: start a session
};

struct HelloScreen {
    HelloVerdict verdict = HelloVerdict::NotClientHello;
    std::size_t reply_size = 0; // bytes of HelloVerifyRequest written to `reply`
};

// The stateless front door: reply needs kHelloVerifyRequestMax bytes to always fit.
HelloScreen screen_client_hello(const CookieJar& jar, std::span<const uint8_t> datagram,
                                std::span<const uint8_t> client_id, std::span<uint8_t> reply);

} // namespace rtc::tls

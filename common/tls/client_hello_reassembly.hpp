#pragma once
// Reassembles a ClientHello that a DTLS client split across records (RFC 6347 §4.2.3), for
// mbedTLS 2.28, which refuses a fragmented ClientHello ("bad client hello message"). OpenSSL
// behind aiortc 1.4 sends its ClientHello in 256-byte fragments. The fragments are collected
// and handed on as one record with the whole message: the handshake transcript covers the
// message as if unfragmented (RFC 6347 §4.2.6), so the server sees the same bytes it would.
//
//   ClientHelloReassembly r;
//   auto out = r.feed(datagram);
//   if (out.kind == Pass) engine.feed(datagram);            // nothing to do
//   else if (out.kind == Complete) engine.feed(out.record); // the whole ClientHello
//   // Pending: wait for more fragments
//
// Bounded: a ClientHello longer than kMaxClientHello is refused (Drop).
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace rtc::tls {

class ClientHelloReassembly {
public:
    static constexpr std::size_t kMaxClientHello = 8192;

    enum class Kind { Pass, Pending, Complete, Drop };
    struct Result {
        Kind kind = Kind::Pass;
        std::span<const uint8_t> record; // Complete: valid until the next feed()
    };

    // A datagram whose first record is a fragment of a ClientHello (epoch 0) is absorbed: every
    // ClientHello fragment record in it is copied. Anything else passes untouched.
    Result feed(std::span<const uint8_t> datagram);

private:
    bool started_ = false;
    uint16_t record_version_ = 0;
    uint8_t first_sequence_[6] = {};
    uint16_t message_seq_ = 0;
    std::size_t length_ = 0;
    std::vector<uint8_t> body_;
    std::vector<bool> have_;
    std::size_t covered_ = 0;
    std::vector<uint8_t> record_;
};

} // namespace rtc::tls

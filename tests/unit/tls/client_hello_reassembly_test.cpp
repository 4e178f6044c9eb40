// A ClientHello split across DTLS records (RFC 6347 §4.2.3), put back together for mbedTLS.
#include "tls/client_hello_reassembly.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

using rtc::tls::ClientHelloReassembly;

namespace {

// One handshake record of epoch 0 carrying body[offset, offset + size) of a message of
// body.size() bytes (RFC 6347 §4.1 and §4.2.2 headers).
std::vector<uint8_t> fragment_record(const std::vector<uint8_t>& body, std::size_t offset,
                                     std::size_t size, uint8_t record_seq, uint8_t type = 1) {
    std::vector<uint8_t> r = {22, 0xFE, 0xFF, 0, 0, 0, 0, 0, 0, 0, record_seq};
    const std::size_t length = 12 + size;
    r.push_back(static_cast<uint8_t>(length >> 8));
    r.push_back(static_cast<uint8_t>(length));
    auto put24 = [&](std::size_t v) {
        r.push_back(static_cast<uint8_t>(v >> 16));
        r.push_back(static_cast<uint8_t>(v >> 8));
        r.push_back(static_cast<uint8_t>(v));
    };
    r.push_back(type);
    put24(body.size());
    r.push_back(0); // message_seq 0
    r.push_back(0);
    put24(offset);
    put24(size);
    r.insert(r.end(), body.begin() + static_cast<std::ptrdiff_t>(offset),
             body.begin() + static_cast<std::ptrdiff_t>(offset + size));
    return r;
}

std::vector<uint8_t> body_of(std::size_t n) {
    std::vector<uint8_t> body(n);
    for (std::size_t i = 0; i < n; ++i)
        body[i] = static_cast<uint8_t>(i * 7 + 3);
    return body;
}

std::vector<uint8_t> concat(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

} // namespace

TEST_CASE("tls: a ClientHello in two records of one datagram comes out whole") {
    // OpenSSL behind aiortc: 245 bytes as 231 + 14 in one 295-byte datagram.
    const auto body = body_of(245);
    const auto datagram =
        concat(fragment_record(body, 0, 231, 1), fragment_record(body, 231, 14, 2));
    ClientHelloReassembly r;
    auto out = r.feed(datagram);
    REQUIRE(out.kind == ClientHelloReassembly::Kind::Complete);
    const auto expected = fragment_record(body, 0, 245, 1);
    CHECK(std::vector<uint8_t>(out.record.begin(), out.record.end()) == expected);
}

TEST_CASE("tls: ClientHello fragments over several datagrams, out of order and repeated") {
    const auto body = body_of(600);
    ClientHelloReassembly r;
    CHECK(r.feed(fragment_record(body, 256, 256, 2)).kind == ClientHelloReassembly::Kind::Pending);
    CHECK(r.feed(fragment_record(body, 256, 256, 2)).kind == ClientHelloReassembly::Kind::Pending);
    CHECK(r.feed(fragment_record(body, 0, 256, 1)).kind == ClientHelloReassembly::Kind::Pending);
    auto out = r.feed(fragment_record(body, 512, 88, 3));
    REQUIRE(out.kind == ClientHelloReassembly::Kind::Complete);
    const auto whole = fragment_record(body, 0, 600, 2); // sequence of the first record fed
    CHECK(std::vector<uint8_t>(out.record.begin(), out.record.end()) == whole);
}

TEST_CASE("tls: whole ClientHellos and other records pass, oversized ones are dropped") {
    ClientHelloReassembly r;
    const auto body = body_of(100);
    CHECK(r.feed(fragment_record(body, 0, 100, 1)).kind == ClientHelloReassembly::Kind::Pass);
    CHECK(r.feed(fragment_record(body, 0, 50, 1, /*type=*/16)).kind ==
          ClientHelloReassembly::Kind::Pass); // a ClientKeyExchange fragment: mbedTLS's job
    CHECK(r.feed(std::vector<uint8_t>{22, 0xFE}).kind == ClientHelloReassembly::Kind::Pass);
    CHECK(r.feed(std::vector<uint8_t>{}).kind == ClientHelloReassembly::Kind::Pass);
    const auto big = body_of(ClientHelloReassembly::kMaxClientHello + 1);
    CHECK(r.feed(fragment_record(big, 0, 1000, 1)).kind == ClientHelloReassembly::Kind::Drop);
    // A fragment that claims more than its record holds is not a fragment.
    const auto full = fragment_record(body, 0, 50, 1);
    const std::vector<uint8_t> lying(full.begin(), full.end() - 10);
    CHECK(r.feed(lying).kind == ClientHelloReassembly::Kind::Pass);
}

// libFuzzer target for DTLS-SRTP: arbitrary datagrams into a DTLS server Engine with use_srtp
// (with and without the cookie exchange), a real client whose datagrams the input corrupts on
// the way to the server, and arbitrary bytes into srtp::Session's unprotect/protect paths with
// fixed keys. The first byte picks the mode. Invariants: nothing throws or crashes, protect
// followed by unprotect with the peer's session gives the packet back.
#include "srtp/session.hpp"
#include "tls/context.hpp"
#include "tls/credentials.hpp"
#include "tls/engine.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

using namespace rtc;

namespace {

constexpr std::size_t kMaxDatagrams = 32;

void check(bool condition) {
    if (!condition)
        std::abort();
}

struct Fixture {
    std::shared_ptr<const tls::Context> server_cookies;
    std::shared_ptr<const tls::Context> server_plain;
    std::shared_ptr<const tls::Context> client;
    tls::SrtpKeyingMaterial keys;

    Fixture() {
        // A fixed clock keeps the certificate independent of when the fuzzer runs.
        const auto when = std::chrono::system_clock::time_point(std::chrono::hours(24 * 20000));
        auto creds = tls::Credentials::self_signed(when);
        tls::ServerOptions so;
        so.transport = tls::Transport::Datagram;
        so.dtls_srtp = true;
        server_cookies = tls::Context::server(creds, so);
        so.dtls_cookie_exchange = false;
        server_plain = tls::Context::server(creds, so);
        tls::ClientOptions co;
        co.transport = tls::Transport::Datagram;
        co.dtls_srtp = true;
        co.own = tls::Credentials::self_signed(when);
        client = tls::Context::client(co);
        for (std::size_t i = 0; i < keys.client_key.size(); ++i) {
            keys.client_key[i] = static_cast<uint8_t>(i);
            keys.server_key[i] = static_cast<uint8_t>(0xF0 - i);
        }
        for (std::size_t i = 0; i < keys.client_salt.size(); ++i) {
            keys.client_salt[i] = static_cast<uint8_t>(0x40 + i);
            keys.server_salt[i] = static_cast<uint8_t>(0x90 + i);
        }
    }
};

Fixture& fixture() {
    static Fixture f;
    return f;
}

// Takes a 2-byte length-prefixed chunk off the front of `in`.
std::span<const uint8_t> next_chunk(std::span<const uint8_t>& in) {
    if (in.size() < 2) {
        in = {};
        return {};
    }
    const std::size_t n = std::min<std::size_t>((std::size_t{in[0]} << 8) | in[1], in.size() - 2);
    const auto chunk = in.subspan(2, n);
    in = in.subspan(2 + n);
    return chunk;
}

void drain(tls::Engine& e, tls::Engine* to, tls::Engine::TimePoint now) {
    for (std::size_t i = 0; i < 64; ++i) {
        const auto out = e.pending_output();
        if (out.empty())
            break;
        check(out.size() <= 1500);
        if (to) {
            std::vector<uint8_t> copy(out.begin(), out.end());
            e.consume_output();
            to->feed(copy, now);
        } else {
            e.consume_output();
        }
    }
    e.consume_plaintext(e.pending_plaintext().size());
}

void check_open(const tls::Engine& e) {
    if (!e.is_open())
        return;
    (void)e.peer_fingerprint_sha256();
    if (auto k = e.srtp_keying())
        srtp::Session(*k, srtp::Role::DtlsServer);
}

// Arbitrary datagrams straight into a server.
void fuzz_server(std::span<const uint8_t> in, bool cookies) {
    auto& f = fixture();
    tls::Engine server(cookies ? f.server_cookies : f.server_plain);
    const uint8_t id[] = {192, 0, 2, 1, 0x30, 0x39};
    if (cookies)
        server.set_peer_id(id);
    auto now = tls::Engine::TimePoint{} + std::chrono::seconds(1);
    for (std::size_t i = 0; i < kMaxDatagrams && !in.empty(); ++i) {
        const auto d = next_chunk(in);
        server.feed(d, now);
        drain(server, nullptr, now);
        now += std::chrono::milliseconds(d.empty() ? 0 : d[0] * 16);
        server.on_timer(now);
        drain(server, nullptr, now);
    }
    check_open(server);
}

// A real client; each of its datagrams gets one byte XORed at a position the input chooses.
void fuzz_corrupted_client(std::span<const uint8_t> in) {
    auto& f = fixture();
    tls::Engine server(f.server_plain);
    tls::Engine client(f.client);
    auto now = tls::Engine::TimePoint{} + std::chrono::seconds(1);
    client.start(now);
    for (std::size_t round = 0; round < kMaxDatagrams; ++round) {
        bool moved = false;
        for (std::size_t i = 0; i < 16; ++i) {
            const auto out = client.pending_output();
            if (out.empty())
                break;
            std::vector<uint8_t> copy(out.begin(), out.end());
            client.consume_output();
            if (in.size() >= 3) {
                const std::size_t at = ((std::size_t{in[0]} << 8) | in[1]) % copy.size();
                copy[at] ^= in[2];
                in = in.subspan(3);
            }
            server.feed(copy, now);
            moved = true;
        }
        if (!server.pending_output().empty())
            moved = true;
        drain(server, &client, now);
        if (!moved)
            break;
    }
    check_open(server);
    check_open(client);
}

void fuzz_srtp(std::span<const uint8_t> in, bool rtcp) {
    auto& f = fixture();
    srtp::Session receiver(f.keys, srtp::Role::DtlsServer);
    srtp::Session sender(f.keys, srtp::Role::DtlsClient);
    std::vector<uint8_t> buf(in.begin(), in.end());
    std::size_t len = buf.size();
    // Exactly the packet, no spare room: unprotect never needs any.
    if (rtcp)
        (void)receiver.unprotect_rtcp(buf, len);
    else
        (void)receiver.unprotect_rtp(buf, len);
    check(len <= in.size());

    buf.assign(in.begin(), in.end());
    buf.resize(in.size() + srtp::Session::kMaxTrailer);
    len = in.size();
    const bool sealed = rtcp ? sender.protect_rtcp(buf, len) : sender.protect_rtp(buf, len);
    if (!sealed)
        return;
    check(len > in.size() && len <= buf.size());
    const bool opened = rtcp ? receiver.unprotect_rtcp(buf, len) : receiver.unprotect_rtp(buf, len);
    check(opened);
    check(len == in.size() && std::memcmp(buf.data(), in.data(), len) == 0);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    const std::span<const uint8_t> in(data + 1, size - 1);
    switch (data[0] % 5) {
    case 0:
        fuzz_server(in, false);
        break;
    case 1:
        fuzz_server(in, true);
        break;
    case 2:
        fuzz_corrupted_client(in);
        break;
    case 3:
        fuzz_srtp(in, false);
        break;
    default:
        fuzz_srtp(in, true);
        break;
    }
    return 0;
}

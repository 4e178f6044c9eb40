#include "tls/context.hpp"
#include "tls/credentials.hpp"
#include "tls/engine.hpp"

#include <doctest/doctest.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

using namespace rtc::tls;
using Clock = std::chrono::steady_clock;

namespace {

std::shared_ptr<const Credentials> make_creds() {
    return Credentials::self_signed(std::chrono::system_clock::now());
}

std::span<const uint8_t> bytes(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string text(std::span<const uint8_t> b) {
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

// Moves everything `from` wants to send into `to`; returns the number of messages moved.
int shuttle(Engine& from, Engine& to, Clock::time_point now) {
    int moved = 0;
    for (int i = 0; i < 100; ++i) {
        auto out = from.pending_output();
        if (out.empty())
            break;
        std::vector<uint8_t> copy(out.begin(), out.end());
        from.consume_output();
        to.feed(copy, now);
        ++moved;
    }
    return moved;
}

// Runs the handshake to completion or until nothing moves (bounded).
void run_handshake(Engine& client, Engine& server, Clock::time_point now) {
    client.start(now);
    for (int round = 0; round < 20; ++round) {
        const int moved = shuttle(client, server, now) + shuttle(server, client, now);
        if (moved == 0)
            break;
    }
}

std::string read_all(Engine& e) {
    std::string s = text(e.pending_plaintext());
    e.consume_plaintext(s.size());
    return s;
}

std::string key_pem(const Credentials& c) {
    std::vector<unsigned char> buf(4096);
    REQUIRE(mbedtls_pk_write_key_pem(c.key(), buf.data(), buf.size()) == 0);
    return reinterpret_cast<const char*>(buf.data());
}

std::vector<uint8_t> peer_cert_der(Engine& e) {
    const mbedtls_x509_crt* crt = mbedtls_ssl_get_peer_cert(e.native());
    REQUIRE(crt != nullptr);
    return {crt->raw.p, crt->raw.p + crt->raw.len};
}

std::vector<uint8_t> own_der(const Credentials& c) {
    return {c.chain()->raw.p, c.chain()->raw.p + c.chain()->raw.len};
}

ClientOptions client_options(const Credentials& trusted, Transport t = Transport::Stream) {
    ClientOptions co;
    co.transport = t;
    co.trusted_pem = trusted.chain_pem();
    return co;
}

} // namespace

TEST_CASE("tls: self-signed credentials carry CN, SAN and a SHA-256 fingerprint") {
    auto c = make_creds();
    CHECK(c->subject() == "CN=localhost");
    CHECK(c->chain_pem().rfind("-----BEGIN CERTIFICATE-----", 0) == 0);
    const std::string fp = c->fingerprint_sha256();
    CHECK(fp.size() == 32 * 3 - 1);
    CHECK(fp[2] == ':');
    CHECK(fp != make_creds()->fingerprint_sha256());
    // The SAN extension parsed back: dNSName localhost and two iPAddress entries.
    const mbedtls_x509_sequence* san = &c->chain()->subject_alt_names;
    int names = 0;
    bool localhost = false;
    for (; san != nullptr && san->buf.p != nullptr; san = san->next) {
        ++names;
        if ((san->buf.tag & 0x1f) == 2)
            localhost |=
                std::string(reinterpret_cast<const char*>(san->buf.p), san->buf.len) == "localhost";
    }
    CHECK(names == 3);
    CHECK(localhost);
    // Validity window: 30 days + the hour of clock-skew allowance.
    const auto& from = c->chain()->valid_from;
    const auto& to = c->chain()->valid_to;
    CHECK((to.year * 400 + to.mon * 31 + to.day) - (from.year * 400 + from.mon * 31 + from.day) >=
          29);
}

TEST_CASE("tls: credentials load from PEM files and reject a mismatched key") {
    auto a = make_creds();
    auto b = make_creds();
    const auto dir =
        std::filesystem::temp_directory_path() / ("rtc-tls-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto cert_file = (dir / "cert.pem").string();
    const auto key_file = (dir / "key.pem").string();
    const auto other_key_file = (dir / "other.pem").string();
    std::ofstream(cert_file) << a->chain_pem();
    std::ofstream(key_file) << key_pem(*a);
    std::ofstream(other_key_file) << key_pem(*b);

    auto loaded = Credentials::load_pem_files(cert_file, key_file);
    CHECK(loaded->fingerprint_sha256() == a->fingerprint_sha256());

    CHECK_THROWS_WITH(Credentials::load_pem_files(cert_file, other_key_file),
                      doctest::Contains("does not match"));
    CHECK_THROWS_WITH(Credentials::load_pem_files((dir / "missing.pem").string(), key_file),
                      doctest::Contains("missing.pem"));
    CHECK_THROWS(Credentials::from_pem("not a certificate", key_pem(*a)));
    CHECK_THROWS(Credentials::from_pem(a->chain_pem(), "not a key"));
    std::filesystem::remove_all(dir);
}

TEST_CASE("tls: stream handshake in memory, data both ways, ALPN") {
    auto creds = make_creds();
    ServerOptions so;
    so.alpn = {"stun.turn", "h2"};
    ReloadableContext holder(creds, so);
    auto co = client_options(*creds);
    co.alpn = {"stun.turn"};
    Engine server(holder.current());
    Engine client(Context::client(co));
    client.set_server_name("localhost");
    const auto now = Clock::now();
    run_handshake(client, server, now);
    REQUIRE(client.is_open());
    REQUIRE(server.is_open());
    CHECK(client.alpn() == "stun.turn");
    CHECK(server.alpn() == "stun.turn");
    CHECK(peer_cert_der(client) == own_der(*creds));

    CHECK(client.write(bytes("hello server")));
    shuttle(client, server, now);
    CHECK(read_all(server) == "hello server");

    // A large write spans several records and arrives whole.
    std::string big(100000, 'x');
    big[54321] = 'y';
    CHECK(server.write(bytes(big)));
    shuttle(server, client, now);
    CHECK(read_all(client) == big);

    // Partial consumption keeps the rest.
    CHECK(client.write(bytes("abcdef")));
    shuttle(client, server, now);
    CHECK(text(server.pending_plaintext()) == "abcdef");
    server.consume_plaintext(2);
    CHECK(text(server.pending_plaintext()) == "cdef");
    server.consume_plaintext(4);
    CHECK(server.pending_plaintext().empty());

    // close_notify both ways (RFC 5246 §7.2.1).
    client.close();
    CHECK(client.state() == EngineState::Closed);
    shuttle(client, server, now);
    CHECK(server.state() == EngineState::Closed);
    CHECK_FALSE(server.pending_output().empty());
    CHECK_FALSE(server.write(bytes("late")));
}

TEST_CASE("tls: writes before the handshake completes are delivered after it") {
    auto creds = make_creds();
    Engine server(Context::server(creds, {}));
    Engine client(Context::client(client_options(*creds)));
    CHECK(client.write(bytes("early")));
    run_handshake(client, server, Clock::now());
    REQUIRE(server.is_open());
    CHECK(read_all(server) == "early");
    CHECK(client.alpn().empty());
}

TEST_CASE("tls: the client rejects an untrusted certificate and a wrong host name") {
    auto creds = make_creds();
    auto other = make_creds();
    const auto now = Clock::now();
    {
        Engine server(Context::server(creds, {}));
        Engine client(Context::client(client_options(*other)));
        run_handshake(client, server, now);
        CHECK(client.state() == EngineState::Failed);
        CHECK_FALSE(client.error().empty());
        CHECK_FALSE(server.is_open());
    }
    {
        Engine server(Context::server(creds, {}));
        Engine client(Context::client(client_options(*creds)));
        client.set_server_name("example.com");
        run_handshake(client, server, now);
        CHECK(client.state() == EngineState::Failed);
    }
    {
        // Without verification the same handshake succeeds (rtc-probe --insecure style).
        auto co = client_options(*other);
        co.verify_peer = false;
        Engine server(Context::server(creds, {}));
        Engine client(Context::client(co));
        client.set_server_name("example.com");
        run_handshake(client, server, now);
        CHECK(client.is_open());
    }
}

TEST_CASE("tls: ALPN with no protocol in common fails the handshake") {
    auto creds = make_creds();
    ServerOptions so;
    so.alpn = {"stun.turn"};
    auto co = client_options(*creds);
    co.alpn = {"h2"};
    Engine server(Context::server(creds, so));
    Engine client(Context::client(co));
    run_handshake(client, server, Clock::now());
    CHECK(server.state() == EngineState::Failed);
    CHECK_FALSE(client.is_open());
    ServerOptions empty_name;
    empty_name.alpn = {""};
    CHECK_THROWS(Context::server(creds, empty_name));
}

TEST_CASE("tls: reload gives new handshakes the new certificate, live sessions keep theirs") {
    auto first = make_creds();
    auto second = make_creds();
    auto holder = std::make_shared<ReloadableContext>(first, ServerOptions{});
    const auto now = Clock::now();

    Engine old_server(holder->current());
    Engine old_client(Context::client(client_options(*first)));
    run_handshake(old_client, old_server, now);
    REQUIRE(old_server.is_open());

    holder->reload(second);
    CHECK(holder->current()->credentials() == second);

    Engine new_server(holder->current());
    Engine new_client(Context::client(client_options(*second)));
    run_handshake(new_client, new_server, now);
    REQUIRE(new_client.is_open());
    CHECK(peer_cert_der(new_client) == own_der(*second));

    // The session started before the reload still works, with the first certificate.
    CHECK(peer_cert_der(old_client) == own_der(*first));
    CHECK(old_server.write(bytes("still here")));
    shuttle(old_server, old_client, now);
    CHECK(read_all(old_client) == "still here");

    // A failed reload leaves the current context in place.
    CHECK_THROWS(holder->reload(nullptr));
    CHECK(holder->current()->credentials() == second);
}

TEST_CASE("tls: garbage from the peer fails the session without throwing") {
    auto creds = make_creds();
    Engine server(Context::server(creds, {}));
    // A handshake record (RFC 5246 §6.2.1) holding a truncated ClientHello.
    const std::vector<uint8_t> junk = {0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0xff};
    server.feed(junk, Clock::now());
    CHECK(server.state() == EngineState::Failed);
    server.feed(junk, Clock::now()); // ignored once failed
    CHECK(server.state() == EngineState::Failed);

    // A record header announcing more than is sent just waits for the rest.
    Engine waiting(Context::server(creds, {}));
    const std::vector<uint8_t> partial = {0x16, 0x03, 0x01, 0x01, 0x00, 0x01};
    waiting.feed(partial, Clock::now());
    CHECK(waiting.state() == EngineState::Handshaking);
    CHECK(waiting.pending_output().empty());
}

TEST_CASE("dtls: cookie exchange, handshake, records stay separate") {
    auto creds = make_creds();
    ServerOptions so;
    so.transport = Transport::Datagram;
    so.alpn = {"stun.turn"};
    auto co = client_options(*creds, Transport::Datagram);
    co.alpn = {"stun.turn"};
    Engine server(Context::server(creds, so));
    const uint8_t peer[] = {127, 0, 0, 1, 0x12, 0x34};
    server.set_peer_id(peer);
    Engine client(Context::client(co));
    const auto now = Clock::now();

    client.start(now);
    REQUIRE(shuttle(client, server, now) == 1); // ClientHello without cookie
    // RFC 6347 §4.2.1: the server answers with a HelloVerifyRequest only (handshake type 3).
    auto hvr = server.pending_output();
    REQUIRE(hvr.size() > 13 + 1);
    CHECK(hvr[0] == 22);
    CHECK(hvr[13] == 3);
    run_handshake(client, server, now);
    REQUIRE(client.is_open());
    REQUIRE(server.is_open());
    CHECK(server.alpn() == "stun.turn");

    CHECK(client.write(bytes("one")));
    CHECK(client.write(bytes("two")));
    CHECK(shuttle(client, server, now) == 2);
    CHECK(text(server.pending_plaintext()) == "one");
    server.consume_plaintext(0); // drops the whole record
    CHECK(text(server.pending_plaintext()) == "two");
    server.consume_plaintext(1);
    CHECK(server.pending_plaintext().empty());

    // Every datagram respects the MTU.
    std::string payload(1000, 'z');
    CHECK(server.write(bytes(payload)));
    CHECK(server.pending_output().size() <= 1200);
    shuttle(server, client, now);
    CHECK(read_all(client) == payload);
    // A record larger than the MTU allows is refused, not fatal.
    CHECK_FALSE(server.write(bytes(std::string(5000, 'q'))));
    CHECK(server.is_open());
}

TEST_CASE("dtls: a server session needs the peer id for its cookies") {
    auto creds = make_creds();
    ServerOptions so;
    so.transport = Transport::Datagram;
    Engine server(Context::server(creds, so));
    Engine client(Context::client(client_options(*creds, Transport::Datagram)));
    client.start(Clock::now());
    shuttle(client, server, Clock::now());
    CHECK(server.state() == EngineState::Failed);
    CHECK(server.error().find("set_peer_id") != std::string::npos);
}

TEST_CASE("dtls: a lost flight is retransmitted on the caller's clock") {
    auto creds = make_creds();
    ServerOptions so;
    so.transport = Transport::Datagram;
    Engine client(Context::client(client_options(*creds, Transport::Datagram)));
    auto t0 = Clock::time_point{} + std::chrono::hours(1);
    client.start(t0);
    REQUIRE_FALSE(client.pending_output().empty());
    const std::vector<uint8_t> first(client.pending_output().begin(),
                                     client.pending_output().end());
    client.consume_output(); // lost
    const auto deadline = client.next_deadline();
    REQUIRE(deadline.has_value());
    CHECK(*deadline == t0 + std::chrono::seconds(1)); // RFC 6347 §4.2.4.1: initial 1 s
    client.on_timer(t0 + std::chrono::milliseconds(500));
    CHECK(client.pending_output().empty());
    client.on_timer(*deadline);
    REQUIRE_FALSE(client.pending_output().empty());
    CHECK(client.pending_output().size() == first.size());
    // The timer doubles (RFC 6347 §4.2.4.1).
    REQUIRE(client.next_deadline().has_value());
    CHECK(*client.next_deadline() == *deadline + std::chrono::seconds(2));

    // The retransmitted ClientHello still completes a handshake.
    Engine server(Context::server(creds, so));
    const uint8_t peer[] = {10, 0, 0, 1, 0, 1};
    server.set_peer_id(peer);
    shuttle(client, server, *deadline);
    for (int round = 0; round < 20; ++round)
        if (shuttle(server, client, *deadline) + shuttle(client, server, *deadline) == 0)
            break;
    CHECK(client.is_open());
    CHECK(server.is_open());
    CHECK_FALSE(client.next_deadline().has_value());
}

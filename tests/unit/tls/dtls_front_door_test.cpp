// The stateless DTLS front door: cookies (RFC 6347 §4.2.1), ClientHello parsing and the
// HelloVerifyRequest, checked against mbedTLS's own DTLS client and server.
#include "tls/context.hpp"
#include "tls/credentials.hpp"
#include "tls/dtls_cookie.hpp"
#include "tls/dtls_hello.hpp"
#include "tls/engine.hpp"

#include <doctest/doctest.h>

#include <array>
#include <vector>

using namespace rtc::tls;
using Clock = std::chrono::steady_clock;

namespace {

std::array<uint8_t, CookieJar::kKeySize> key_of(uint8_t fill) {
    std::array<uint8_t, CookieJar::kKeySize> k{};
    k.fill(fill);
    return k;
}

const std::vector<uint8_t> kClientA = {127, 0, 0, 1, 0x13, 0x88};
const std::vector<uint8_t> kClientB = {127, 0, 0, 1, 0x13, 0x89};

std::array<uint8_t, CookieJar::kCookieSize> cookie_for(const CookieJar& jar,
                                                       const std::vector<uint8_t>& id) {
    std::array<uint8_t, CookieJar::kCookieSize> c{};
    jar.write(id, c);
    return c;
}

std::shared_ptr<const Credentials> creds() {
    static auto c = Credentials::self_signed(std::chrono::system_clock::now());
    return c;
}

std::shared_ptr<const Context> client_context() {
    ClientOptions co;
    co.transport = Transport::Datagram;
    co.trusted_pem = creds()->chain_pem();
    return Context::client(co);
}

// The next datagram the engine wants to send, copied.
std::vector<uint8_t> take(Engine& e) {
    auto out = e.pending_output();
    std::vector<uint8_t> copy(out.begin(), out.end());
    if (!copy.empty())
        e.consume_output();
    return copy;
}

} // namespace

TEST_CASE("dtls cookie: binds to the client id and survives exactly one rotation") {
    CookieJar jar(key_of(1));
    const auto a = cookie_for(jar, kClientA);
    CHECK(jar.check(a, kClientA));
    CHECK_FALSE(jar.check(a, kClientB));
    auto tampered = a;
    tampered[5] ^= 0x01;
    CHECK_FALSE(jar.check(tampered, kClientA));
    CHECK_FALSE(jar.check(std::span(a).first(a.size() - 1), kClientA));
    CHECK_FALSE(jar.check({}, kClientA));

    jar.rotate(key_of(2));
    CHECK(jar.generation() == 1);
    CHECK(jar.check(a, kClientA)); // the previous secret still verifies (handshake in flight)
    const auto a2 = cookie_for(jar, kClientA);
    CHECK(a2 != a);
    CHECK(jar.check(a2, kClientA));

    jar.rotate(key_of(3));
    CHECK_FALSE(jar.check(a, kClientA)); // two rotations: expired
    CHECK(jar.check(a2, kClientA));

    // Same secrets, same cookies: nothing but the secret and the id goes in.
    CookieJar other(key_of(1));
    CHECK(cookie_for(other, kClientA) == a);
}

TEST_CASE("dtls cookie: rotate_if_due rotates once per period whoever calls it") {
    CookieJar jar;
    const auto t0 = Clock::time_point{} + std::chrono::hours(1);
    const auto period = std::chrono::seconds(30);
    CHECK_FALSE(jar.rotate_if_due(t0, period)); // starts the clock
    CHECK_FALSE(jar.rotate_if_due(t0 + std::chrono::seconds(29), period));
    CHECK(jar.generation() == 0);
    CHECK(jar.rotate_if_due(t0 + std::chrono::seconds(30), period));
    CHECK_FALSE(jar.rotate_if_due(t0 + std::chrono::seconds(31), period)); // a second server
    CHECK(jar.generation() == 1);
    CHECK(jar.rotate_if_due(t0 + std::chrono::seconds(61), period));
    CHECK(jar.generation() == 2);
}

TEST_CASE("dtls hello: the HelloVerifyRequest echoes the record sequence (RFC 6347 §4.2.1)") {
    ClientHelloView hello;
    hello.record_sequence = 0x0102030405ull;
    hello.message_seq = 0;
    const std::array<uint8_t, 4> cookie = {0xAA, 0xBB, 0xCC, 0xDD};
    std::array<uint8_t, kHelloVerifyRequestMax> out{};
    const std::size_t n = write_hello_verify_request(hello, cookie, out);
    const std::vector<uint8_t> expected = {
        22,   0xFE, 0xFF, 0,    0,    0,    0x01, 0x02, 0x03, 0x04, 0x05, 0, 19, // record
        3,    0,    0,    7,    0,    0,    0,    0,    0,    0,    0,    7,     // handshake
        0xFE, 0xFF, 4,    0xAA, 0xBB, 0xCC, 0xDD};                               // body
    REQUIRE(n == expected.size());
    CHECK(std::vector<uint8_t>(out.begin(), out.begin() + n) == expected);
    CHECK(write_hello_verify_request(hello, cookie, std::span(out).first(n - 1)) == 0);
    std::array<uint8_t, 256> huge{};
    CHECK(write_hello_verify_request(hello, huge, out) == 0);
}

TEST_CASE("dtls hello: mbedTLS's ClientHello parses, prefixes and mutations never over-read") {
    Engine client(client_context());
    client.start(Clock::now());
    const auto hello = take(client);
    REQUIRE(!hello.empty());
    const auto view = parse_client_hello(hello);
    REQUIRE(view.has_value());
    CHECK(view->record_version == 0xFEFD); // DTLS 1.2, the only version configured
    CHECK(view->client_version == 0xFEFD);
    CHECK(view->message_seq == 0);
    CHECK(view->random.size() == 32);
    CHECK(view->cookie.empty());

    for (std::size_t len = 0; len < hello.size(); ++len) // every truncation is refused
        CHECK_FALSE(parse_client_hello(std::span(hello).first(len)).has_value());

    // Flip every byte to a few values: parsing stays in bounds whatever it decides.
    int parsed = 0;
    for (std::size_t i = 0; i < hello.size(); ++i)
        for (uint8_t v : {uint8_t(0x00), uint8_t(0xFF), uint8_t(hello[i] ^ 0x80)}) {
            auto m = hello;
            m[i] = v;
            if (auto r = parse_client_hello(m)) {
                ++parsed;
                CHECK(r->cookie.data() + r->cookie.size() <= m.data() + m.size());
            }
        }
    CHECK(parsed > 0);

    auto epoch1 = hello;
    epoch1[4] = 1;
    CHECK_FALSE(parse_client_hello(epoch1).has_value());
    auto app_data = hello;
    app_data[0] = 23;
    CHECK_FALSE(parse_client_hello(app_data).has_value());
    auto fragment = hello; // fragment_length one short of length
    fragment[13 + 11] = static_cast<uint8_t>(fragment[13 + 11] - 1);
    CHECK_FALSE(parse_client_hello(fragment).has_value());
}

TEST_CASE("dtls hello: screen, cookie round trip with mbedTLS client and server, rotation") {
    ServerOptions so;
    so.transport = Transport::Datagram;
    so.dtls_cookies = std::make_shared<CookieJar>(key_of(7));
    auto server_ctx = Context::server(creds(), so);
    CHECK(server_ctx->cookies() == so.dtls_cookies);
    const CookieJar& jar = *so.dtls_cookies;
    const auto now = Clock::now();

    Engine client(client_context());
    client.start(now);
    const auto hello1 = take(client);
    std::array<uint8_t, kHelloVerifyRequestMax> reply{};

    // Not a ClientHello: no answer at all.
    const std::vector<uint8_t> junk = {23, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0};
    auto r = screen_client_hello(jar, junk, kClientA, reply);
    CHECK(r.verdict == HelloVerdict::NotClientHello);
    CHECK(r.reply_size == 0);

    r = screen_client_hello(jar, hello1, kClientA, reply);
    REQUIRE(r.verdict == HelloVerdict::NoCookie);
    REQUIRE(r.reply_size > 0);
    // The secret rotates while the HelloVerifyRequest travels: the handshake still goes on.
    so.dtls_cookies->rotate(key_of(8));
    client.feed(std::span(reply).first(r.reply_size), now);
    const auto hello2 = take(client);
    const auto view2 = parse_client_hello(hello2);
    REQUIRE(view2.has_value());
    CHECK(view2->cookie.size() == CookieJar::kCookieSize);

    CHECK(screen_client_hello(jar, hello2, kClientB, reply).verdict == HelloVerdict::BadCookie);
    auto forged = hello2;
    const auto at = static_cast<std::size_t>(view2->cookie.data() - hello2.data());
    forged[at + 3] ^= 0x40;
    r = screen_client_hello(jar, forged, kClientA, reply);
    CHECK(r.verdict == HelloVerdict::BadCookie);
    CHECK(r.reply_size > 0); // a fresh HelloVerifyRequest, as for no cookie
    REQUIRE(screen_client_hello(jar, hello2, kClientA, reply).verdict == HelloVerdict::Valid);

    // The session created only now accepts the same cookie through mbedTLS's callbacks and
    // answers with its ServerHello flight, not another HelloVerifyRequest.
    Engine server(server_ctx);
    server.set_peer_id(kClientA);
    server.feed(hello2, now);
    bool saw_hvr = false;
    for (int round = 0; round < 20 && !(client.is_open() && server.is_open()); ++round) {
        for (auto d = take(server); !d.empty(); d = take(server)) {
            if (d.size() > 13 && d[0] == 22 && d[13] == 3)
                saw_hvr = true;
            client.feed(d, now);
        }
        for (auto d = take(client); !d.empty(); d = take(client))
            server.feed(d, now);
    }
    CHECK_FALSE(saw_hvr);
    CHECK(client.is_open());
    CHECK(server.is_open());

    // Two rotations later the old cookie is refused.
    so.dtls_cookies->rotate(key_of(9));
    CHECK(screen_client_hello(jar, hello2, kClientA, reply).verdict == HelloVerdict::BadCookie);
}

TEST_CASE("dtls hello: a reloadable datagram context keeps one cookie jar across reloads") {
    ServerOptions so;
    so.transport = Transport::Datagram;
    ReloadableContext holder(creds(), so);
    const auto jar = holder.options().dtls_cookies;
    REQUIRE(jar != nullptr);
    CHECK(holder.current()->cookies() == jar);
    holder.reload(Credentials::self_signed(std::chrono::system_clock::now()));
    CHECK(holder.current()->cookies() == jar);

    ServerOptions stream;
    ReloadableContext tls(creds(), stream);
    CHECK(tls.options().dtls_cookies == nullptr);
    CHECK(tls.current()->cookies() == nullptr);
}

#include "turn/nonce.hpp"

#include "stun/rfc8489_attributes.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace rtc;
using namespace rtc::turn;
using namespace std::chrono_literals;

namespace {

util::Endpoint ep(const char* text) {
    auto e = util::Endpoint::parse(text);
    REQUIRE(e);
    return *e;
}

NonceManager::Key key(uint8_t fill) {
    NonceManager::Key k;
    k.fill(fill);
    return k;
}

const NonceManager::Clock::time_point kT0{std::chrono::seconds(100000)};

} // namespace

TEST_CASE("turn::NonceManager issues valid nonces with the RFC 8489 cookie") {
    NonceManager n(key(7), 600s);
    std::array<char, kNonceLength> buf;
    auto source = ep("203.0.113.5:40000");
    std::string nonce(n.issue(source, kT0, buf));
    CHECK(nonce.size() == kNonceLength);
    CHECK(nonce.rfind("obMatJos2gAAA", 0) == 0);
    CHECK(nonce_has_cookie(nonce));
    CHECK(stun::Nonce::valid(nonce)); // fits the NONCE attribute
    for (char c : nonce)
        CHECK(c != '"');

    CHECK(n.check(nonce, source, kT0) == NonceStatus::Valid);
    CHECK(n.check(nonce, source, kT0 + 599s) == NonceStatus::Valid);
    CHECK(n.check(nonce, source, kT0 + 600s) == NonceStatus::Stale);
    CHECK(n.check(nonce, source, kT0 - 1s) == NonceStatus::Invalid);
}

TEST_CASE("turn::NonceManager binds a nonce to its source and key") {
    NonceManager n(key(7), 600s);
    std::array<char, kNonceLength> buf;
    auto source = ep("203.0.113.5:40000");
    std::string nonce(n.issue(source, kT0, buf));
    CHECK(n.check(nonce, ep("203.0.113.5:40001"), kT0) == NonceStatus::Invalid);
    CHECK(n.check(nonce, ep("203.0.113.6:40000"), kT0) == NonceStatus::Invalid);
    CHECK(n.check(nonce, ep("[::ffff:203.0.113.5]:40000"), kT0) == NonceStatus::Invalid);
    NonceManager other(key(8), 600s);
    CHECK(other.check(nonce, source, kT0) == NonceStatus::Invalid);

    // Another manager with the same key (another worker thread) accepts it.
    NonceManager twin(key(7), 600s);
    CHECK(twin.check(nonce, source, kT0 + 10s) == NonceStatus::Valid);

    auto v6 = ep("[2001:db8::1]:5000");
    std::string n6(n.issue(v6, kT0, buf));
    CHECK(n.check(n6, v6, kT0) == NonceStatus::Valid);
    CHECK(n6 != nonce);
}

TEST_CASE("turn::NonceManager rejects malformed and tampered nonces") {
    NonceManager n(key(1), 60s);
    std::array<char, kNonceLength> buf;
    auto source = ep("198.51.100.1:1234");
    std::string nonce(n.issue(source, kT0, buf));
    CHECK(n.check("", source, kT0) == NonceStatus::Invalid);
    CHECK(n.check(nonce.substr(1), source, kT0) == NonceStatus::Invalid);
    CHECK(n.check(nonce + "A", source, kT0) == NonceStatus::Invalid);
    for (std::size_t i = 0; i < nonce.size(); ++i) {
        std::string t = nonce;
        t[i] = t[i] == 'A' ? 'B' : 'A';
        CAPTURE(i);
        CHECK(n.check(t, source, kT0) == NonceStatus::Invalid);
    }
    std::string bad = nonce;
    bad[20] = '=';
    CHECK(n.check(bad, source, kT0) == NonceStatus::Invalid);
}

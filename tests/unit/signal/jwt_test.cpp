#include "signal/jwt.hpp"

#include "crypto/hash.hpp"
#include "signal/base64url.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace rtc::signal;

namespace {

SystemTime at(int64_t unix_seconds) {
    return SystemTime(std::chrono::seconds(unix_seconds));
}

// RFC 7515 Appendix A.1: the HS256 example JWS and its JWK symmetric key ("k", base64url).
constexpr const char* kRfc7515Token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
                                      ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9"
                                      "leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
                                      ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr const char* kRfc7515Key =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
constexpr int64_t kRfc7515Exp = 1300819380;

std::string rfc_key() {
    auto k = base64url_decode(kRfc7515Key);
    REQUIRE(k);
    return std::string(k->begin(), k->end());
}

std::string b64(std::string_view s) {
    return base64url_encode(s);
}

// A token with any header and payload text, signed with HS256 under `secret`.
std::string hand_made(std::string_view header, std::string_view payload, std::string_view secret) {
    const std::string input = b64(header) + "." + b64(payload);
    const auto mac =
        rtc::crypto::hmac_sha256({reinterpret_cast<const uint8_t*>(secret.data()), secret.size()},
                                 {reinterpret_cast<const uint8_t*>(input.data()), input.size()});
    return input + "." + base64url_encode(mac);
}

constexpr const char* kHs256 = R"({"alg":"HS256","typ":"JWT"})";

JwtResult verify(const std::string& token, const std::string& secret, int64_t now) {
    const std::vector<std::string> secrets{secret};
    return verify_jwt(token, secrets, at(now));
}

} // namespace

TEST_CASE("signal::verify_jwt accepts the RFC 7515 A.1 HS256 example") {
    const std::vector<std::string> secrets{rfc_key()};
    auto ok = verify_jwt(kRfc7515Token, secrets, at(kRfc7515Exp - 1));
    REQUIRE_MESSAGE(ok.ok, ok.error);
    CHECK(ok.claims.exp == kRfc7515Exp);
    CHECK_FALSE(ok.claims.nbf);
    CHECK(ok.claims.room.empty());
    CHECK(ok.claims.sub.empty());

    // RFC 7519 §4.1.4: at exp the token is no longer accepted; leeway stretches it.
    CHECK(verify_jwt(kRfc7515Token, secrets, at(kRfc7515Exp)).error == "expired");
    CHECK(verify_jwt(kRfc7515Token, secrets, at(kRfc7515Exp + 5), std::chrono::seconds(10)).ok);

    // One flipped character anywhere breaks it.
    std::string tampered = kRfc7515Token;
    tampered[60] = tampered[60] == 'A' ? 'B' : 'A';
    CHECK_FALSE(verify_jwt(tampered, secrets, at(kRfc7515Exp - 1)).ok);
    const std::vector<std::string> wrong{"secret"};
    CHECK(verify_jwt(kRfc7515Token, wrong, at(kRfc7515Exp - 1)).error == "bad signature");
}

TEST_CASE("signal::mint_jwt tokens verify, with every claim") {
    JwtClaims c;
    c.exp = 2000;
    c.nbf = 1000;
    c.room = "lobby";
    c.sub = "alice";
    const std::string token = mint_jwt(c, "s3cret");
    CHECK(std::count(token.begin(), token.end(), '.') == 2);
    CHECK(token.find('=') == std::string::npos);

    auto r = verify(token, "s3cret", 1500);
    REQUIRE_MESSAGE(r.ok, r.error);
    CHECK(r.claims.exp == 2000);
    CHECK(r.claims.nbf == 1000);
    CHECK(r.claims.room == "lobby");
    CHECK(r.claims.sub == "alice");

    CHECK(verify(token, "s3cret", 999).error == "not yet valid");
    CHECK(verify(token, "s3cret", 1000).ok);
    CHECK(verify(token, "s3cret", 1999).ok);
    CHECK(verify(token, "s3cret", 2000).error == "expired");
    CHECK(verify(token, "other", 1500).error == "bad signature");
}

TEST_CASE("signal::verify_jwt tries every secret (rotation)") {
    JwtClaims c;
    c.exp = 2000;
    const std::string old_token = mint_jwt(c, "old");
    const std::string new_token = mint_jwt(c, "new");
    const std::vector<std::string> both{"new", "old"};
    CHECK(verify_jwt(old_token, both, at(1)).ok);
    CHECK(verify_jwt(new_token, both, at(1)).ok);
    const std::vector<std::string> only_new{"new"};
    CHECK_FALSE(verify_jwt(old_token, only_new, at(1)).ok);
    CHECK(verify_jwt(new_token, {}, at(1)).error == "no secret");
}

TEST_CASE("signal::verify_jwt refuses alg none and every alg but HS256") {
    const std::string payload = R"({"exp":2000})";
    // RFC 7519 §6.1 unsecured JWT: empty signature.
    CHECK(verify(b64(R"({"alg":"none"})") + "." + b64(payload) + ".", "k", 1).error ==
          "unsupported alg");
    CHECK(verify(hand_made(R"({"alg":"none"})", payload, "k"), "k", 1).error == "unsupported alg");
    for (const char* header :
         {R"({"alg":"HS384"})", R"({"alg":"HS512"})", R"({"alg":"RS256"})", R"({"alg":"hs256"})",
          R"({"alg":["HS256"]})", R"({"typ":"JWT"})", R"({"alg":"HS256","crit":["exp"]})"}) {
        INFO(header);
        CHECK(verify(hand_made(header, payload, "k"), "k", 1).error == "unsupported alg");
    }
    CHECK(verify(hand_made(kHs256, payload, "k"), "k", 1).ok);
}

TEST_CASE("signal::verify_jwt checks claims") {
    CHECK(verify(hand_made(kHs256, R"({"sub":"a"})", "k"), "k", 1).error == "missing exp");
    CHECK(verify(hand_made(kHs256, R"({"exp":"2000"})", "k"), "k", 1).error == "bad claims");
    CHECK(verify(hand_made(kHs256, R"({"exp":2000,"nbf":true})", "k"), "k", 1).error ==
          "bad claims");
    CHECK(verify(hand_made(kHs256, R"({"exp":2000,"room":7})", "k"), "k", 1).error == "bad claims");
    CHECK(verify(hand_made(kHs256, R"({"exp":2000,"room":""})", "k"), "k", 1).error ==
          "bad claims");
    CHECK(verify(hand_made(kHs256, R"({"exp":2000,"sub":null})", "k"), "k", 1).error ==
          "bad claims");
    CHECK(verify(hand_made(kHs256, R"({"exp":1e300})", "k"), "k", 1).error == "bad claims");
    // NumericDate may be fractional (RFC 7519 §2); it is rounded down (expires early).
    auto frac = verify(hand_made(kHs256, R"({"exp":1500.5})", "k"), "k", 1499);
    REQUIRE(frac.ok);
    CHECK(frac.claims.exp == 1500);
    CHECK(verify(hand_made(kHs256, R"({"exp":18446744073709551615})", "k"), "k", 1).error ==
          "bad claims");
    CHECK(verify(hand_made(kHs256, R"({"exp":9223372036854775807})", "k"), "k", 1).ok);
    CHECK(verify(hand_made(kHs256, R"([1,2])", "k"), "k", 1).error == "malformed");
    CHECK(verify(hand_made(kHs256, "not json", "k"), "k", 1).error == "malformed");
}

TEST_CASE("signal::verify_jwt refuses malformed tokens without throwing") {
    JwtClaims c;
    c.exp = 2000;
    const std::string good = mint_jwt(c, "k");
    const auto dot1 = good.find('.');
    const auto dot2 = good.rfind('.');
    const std::string cases[] = {
        "",
        ".",
        "..",
        "a.b",
        "a.b.c.d",
        good + ".",
        good.substr(0, dot2),      // no signature part
        good.substr(0, dot2 + 1),  // empty signature
        good + "A",                // signature too long
        good.substr(0, dot2 + 10), // signature too short
        "=" + good,                // not base64url
        good.substr(0, dot1) + ".%%." + good.substr(dot2 + 1),
        b64(std::string(40, '[')) + good.substr(dot1), // deep header
        std::string(kMaxJwtLength + 1, 'a'),
    };
    for (const auto& token : cases) {
        INFO(token);
        auto r = verify(token, "k", 1);
        CHECK_FALSE(r.ok);
        CHECK_FALSE(r.error.empty());
    }
    CHECK(verify(good, "k", 1).ok);
}

TEST_CASE("signal::jwt_allows matches the room and sub claims") {
    JwtClaims any;
    CHECK(jwt_allows(any, "lobby", "alice"));
    CHECK(jwt_allows(any, "", ""));
    JwtClaims star;
    star.room = "*";
    CHECK(jwt_allows(star, "anything", "x"));
    JwtClaims lobby;
    lobby.room = "lobby";
    CHECK(jwt_allows(lobby, "lobby", "x"));
    CHECK_FALSE(jwt_allows(lobby, "other", "x"));
    CHECK_FALSE(jwt_allows(lobby, "", "x")); // "make me a new room" is not the lobby
    JwtClaims alice;
    alice.sub = "alice";
    CHECK(jwt_allows(alice, "r", "alice"));
    CHECK_FALSE(jwt_allows(alice, "r", "bob"));
    CHECK_FALSE(jwt_allows(alice, "r", ""));
}

#include "turn/credentials.hpp"

#include "stun/credentials.hpp"
#include "stun/rfc8489_attributes.hpp"
#include "util/hex.hpp"

#include <doctest/doctest.h>

#include <stdexcept>

using namespace rtc;
using namespace rtc::turn;
using Clock = std::chrono::system_clock;

namespace {

Clock::time_point at(int64_t unix_seconds) {
    return Clock::time_point(std::chrono::seconds(unix_seconds));
}

std::string hex(std::span<const uint8_t> b) {
    return util::to_hex(b);
}

std::shared_ptr<const UserStore> store(std::vector<UserEntry> users,
                                       std::string_view realm = "example.org") {
    auto r = UserStore::build(realm, std::move(users));
    REQUIRE_MESSAGE(r.store, r.error);
    return r.store;
}

} // namespace

TEST_CASE("turn::parse_user_spec splits at the first colon") {
    auto u = parse_user_spec("alice:pa:ss");
    REQUIRE(u);
    CHECK(u->name == "alice");
    CHECK(u->password == "pa:ss");
    CHECK_FALSE(parse_user_spec("alice"));
    CHECK_FALSE(parse_user_spec(":pass"));
    CHECK_FALSE(parse_user_spec("alice:"));
    CHECK_FALSE(parse_user_spec(""));
}

TEST_CASE("turn::parse_users_file skips comments and blanks and reports line numbers") {
    std::vector<UserEntry> out;
    UsersFileError error;
    CHECK(parse_users_file("# users\n\nalice:one\r\n  bob:two  \n\t# indented comment\ncarol:3",
                           out, error));
    REQUIRE(out.size() == 3);
    CHECK(out[0] == UserEntry{"alice", "one"});
    CHECK(out[1] == UserEntry{"bob", "two"});
    CHECK(out[2] == UserEntry{"carol", "3"});

    out.clear();
    CHECK_FALSE(parse_users_file("alice:one\n\n# c\nbroken line\nbob:two\n", out, error));
    CHECK(error.line == 4);
    CHECK(error.message == "expected name:password");

    out.clear();
    CHECK(parse_users_file("", out, error));
    CHECK(out.empty());
}

TEST_CASE("turn::UserStore derives MD5, SHA-256 and USERHASH keys at load time") {
    auto s = store({{"bob", "x"}, {"alice", "s3cret"}});
    CHECK(s->size() == 2);
    const auto* a = s->find("alice");
    REQUIRE(a);
    // RFC 8489 §9.2.2: MD5("alice:example.org:s3cret"), and the SHA-256 variant (§18.5.1.2).
    CHECK(hex(a->md5) == "8b83b40c22906c0c67a3c5bcc491bc14");
    CHECK(hex(a->sha256) == "f22052fea8541d9a84dc48aa41b20e65023c376e463bc39e716fac6e0f0f7a5f");
    // RFC 8489 §14.4: SHA-256("alice:example.org").
    CHECK(hex(a->userhash) == "435b7933096a304d3c734cfb833ec9075bd47ab1c0160321aed31c06a8c7009e");
    CHECK(s->find_by_userhash(a->userhash) == a);
    CHECK(s->find_by_userhash(s->find("bob")->userhash) == s->find("bob"));
    std::array<uint8_t, 32> other{};
    CHECK(s->find_by_userhash(other) == nullptr);
    CHECK(s->find_by_userhash(std::span(other).first(31)) == nullptr);
    CHECK(s->find("carol") == nullptr);
    CHECK(s->find("alic") == nullptr);

    auto dup = UserStore::build("example.org", {{"a", "1"}, {"b", "2"}, {"a", "3"}});
    CHECK_FALSE(dup.store);
    CHECK(dup.error == "user 'a' is defined twice");
    auto bad = UserStore::build("example.org", {{"a\x01", "1"}});
    CHECK_FALSE(bad.store);
}

TEST_CASE("turn::rest_expiry and rest_password") {
    CHECK(rest_expiry("1700000000:alice") == 1700000000);
    CHECK(rest_expiry("1700000000") == 1700000000);
    CHECK_FALSE(rest_expiry("alice"));
    CHECK_FALSE(rest_expiry(":alice"));
    CHECK_FALSE(rest_expiry("17x:alice"));
    CHECK_FALSE(rest_expiry("99999999999999999999:a"));
    // base64(HMAC-SHA1("north", "1700000000:alice")), computed independently.
    CHECK(rest_password("north", "1700000000:alice") == "Cd/49soE35ICqcJF/bCTn8Z4OyE=");
}

TEST_CASE("turn::CredentialStore serves static and REST users together") {
    CredentialConfig config{"example.org", store({{"alice", "s3cret"}}), {"north", "south"}};
    CredentialStore creds(config);

    auto s = creds.lookup("alice", stun::kPasswordAlgorithmMd5, at(0));
    REQUIRE(s.status == LookupStatus::Found);
    REQUIRE(s.count == 1);
    CHECK(hex(s.keys[0].view()) == "8b83b40c22906c0c67a3c5bcc491bc14");
    auto s2 = creds.lookup("alice", stun::kPasswordAlgorithmSha256, at(0));
    REQUIRE(s2.count == 1);
    CHECK(s2.keys[0].size == 32);
    CHECK(s2.keys[0].algorithm == stun::kPasswordAlgorithmSha256);

    // A REST username gets one key per secret, each MD5(user:realm:base64(hmac)).
    auto r = creds.lookup("1700000000:alice", stun::kPasswordAlgorithmMd5, at(1699999999));
    REQUIRE(r.status == LookupStatus::Found);
    REQUIRE(r.count == 2);
    auto expected =
        stun::long_term_key_md5("1700000000:alice", "example.org", "Cd/49soE35ICqcJF/bCTn8Z4OyE=");
    REQUIRE(expected);
    CHECK(r.keys[0].view().size() == 16);
    CHECK(hex(r.keys[0].view()) == hex(*expected));
    CHECK(hex(r.keys[1].view()) != hex(*expected));

    CHECK(creds.lookup("1700000000:alice", stun::kPasswordAlgorithmMd5, at(1700000000)).status ==
          LookupStatus::Found); // valid through its expiry second
    CHECK(creds.lookup("1700000000:alice", stun::kPasswordAlgorithmMd5, at(1700000001)).status ==
          LookupStatus::Expired);
    CHECK(creds.lookup("mallory", stun::kPasswordAlgorithmMd5, at(0)).status ==
          LookupStatus::UnknownUser);
    CHECK(creds.find_by_userhash(creds.lookup("alice", 1, at(0)).keys[0].view()) == nullptr);
    auto hash = stun::userhash("alice", "example.org");
    REQUIRE(hash);
    REQUIRE(creds.find_by_userhash(*hash));
    CHECK(creds.find_by_userhash(*hash)->name == "alice");

    SUBCASE("reload swaps the user store") {
        creds.set_users(store({{"bob", "pw"}}));
        CHECK(creds.lookup("alice", 1, at(0)).status == LookupStatus::UnknownUser);
        CHECK(creds.lookup("bob", 1, at(0)).status == LookupStatus::Found);
    }
    SUBCASE("without REST secrets a REST-shaped name is unknown") {
        CredentialStore plain({"example.org", store({{"alice", "s3cret"}}), {}});
        CHECK(plain.lookup("1700000000:alice", 1, at(0)).status == LookupStatus::UnknownUser);
        CHECK_FALSE(plain.has_rest());
    }
}

TEST_CASE("turn::CredentialStore validates its configuration") {
    CHECK(CredentialStore::validate({"", nullptr, {}}).has_value());
    CHECK(CredentialStore::validate({"other.org", store({{"a", "b"}}), {}}).has_value());
    CHECK(CredentialStore::validate({"example.org", nullptr, {""}}).has_value());
    CHECK(CredentialStore::validate({"example.org", nullptr, std::vector<std::string>(9, "s")})
              .has_value());
    CHECK_FALSE(CredentialStore::validate({"example.org", nullptr, {"s"}}).has_value());
    CHECK_THROWS_AS(CredentialStore({"", nullptr, {}}), std::invalid_argument);
}

// PeerJsServer: GET /KEY/id and /KEY/peers, and the ids it makes.
#include "peerjs_test_util.hpp"

#include <doctest/doctest.h>

#include <set>
#include <string>

using namespace rtc::signal;
using namespace peerjs_test;

namespace {

bool is_uuid_v4(const std::string& text) {
    if (text.size() != 36)
        return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    // RFC 9562 §5.4: version 4, variant 10xx.
    return text[14] == '4' &&
           (text[19] == '8' || text[19] == '9' || text[19] == 'a' || text[19] == 'b');
}

} // namespace

TEST_CASE("peerjs ids: generate_id makes distinct uuid v4 strings") {
    PeerJsServer server;
    std::set<std::string> seen;
    for (int i = 0; i < 200; ++i) {
        std::string id = server.generate_id();
        CHECK(is_uuid_v4(id));
        seen.insert(id);
    }
    CHECK(seen.size() == 200);
    // A generated id is a valid id to attach with.
    RecordingSink sink;
    CHECK(open(server, server.generate_id(), sink));
}

TEST_CASE("peerjs http: GET /KEY/id answers a uuid as text/html, for any key like peer") {
    PeerJsServer server;
    for (const char* path : {"/peerjs/id", "/otherkey/id"}) {
        auto reply = server.http_get(path);
        REQUIRE(reply);
        CHECK(reply->status == 200);
        CHECK(reply->content_type == "text/html; charset=utf-8");
        CHECK(is_uuid_v4(reply->body));
    }
}

TEST_CASE("peerjs http: GET /KEY/peers is 401 unless discovery is allowed") {
    PeerJsServer closed;
    auto refused = closed.http_get("/peerjs/peers");
    REQUIRE(refused);
    CHECK(refused->status == 401);

    PeerJsServer open_server(options_with([](PeerJsOptions& o) { o.allow_discovery = true; }));
    auto empty = open_server.http_get("/peerjs/peers");
    REQUIRE(empty);
    CHECK(empty->status == 200);
    CHECK(empty->body == "[]");
    RecordingSink a, b;
    REQUIRE(open(open_server, "alice", a));
    REQUIRE(open(open_server, "b\"ob", b));
    auto listed = open_server.http_get("/peerjs/peers");
    REQUIRE(listed);
    CHECK(listed->content_type == "application/json; charset=utf-8");
    auto ids = nlohmann::json::parse(listed->body);
    REQUIRE(ids.is_array());
    CHECK(ids.size() == 2);
    std::set<std::string> names(ids.begin(), ids.end());
    CHECK(names == std::set<std::string>{"alice", "b\"ob"});
}

TEST_CASE("peerjs http: other paths are the tool's") {
    PeerJsServer server;
    for (const char* path : {"/", "", "/peerjs", "/id", "//id", "/peerjs/id/x", "/a/b/id",
                             "/peerjs/ids", "peerjs/id", "/peerjs/"}) {
        CHECK_MESSAGE(!server.http_get(path), path);
    }
    CHECK(PeerJsServer::kSocketPath == "/peerjs");
}

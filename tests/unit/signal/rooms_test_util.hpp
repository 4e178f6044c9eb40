#pragma once
// Fakes for signal::Rooms tests: a PeerSink that records, a ClusterBus that holds payloads until
// the test pumps them to every node, and a join helper.
#include "signal/cluster.hpp"
#include "signal/rooms.hpp"
#include "signal/schema.hpp"

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rooms_test {

using rtc::signal::Json;
using namespace std::chrono_literals;

inline const rtc::signal::TimePoint kT0{std::chrono::seconds(1000)};

class FakeSink : public rtc::signal::PeerSink {
public:
    void send(std::string_view text) override { sent.emplace_back(text); }
    void close(uint16_t code, std::string_view reason) override {
        ++closes;
        close_code = code;
        close_reason = reason;
    }

    // Every message sent since the last drain(), parsed (a parse failure fails the test).
    std::vector<Json> drain() {
        std::vector<Json> out;
        for (const auto& text : sent) {
            Json j = Json::parse(text, nullptr, false);
            REQUIRE_MESSAGE(!j.is_discarded(), text);
            out.push_back(std::move(j));
        }
        sent.clear();
        return out;
    }
    // The only message since the last drain (fails the test otherwise).
    Json one() {
        auto all = drain();
        REQUIRE(all.size() == 1);
        return all.front();
    }

    std::vector<std::string> sent;
    int closes = 0;
    std::optional<uint16_t> close_code;
    std::string close_reason;
};

class TestBus : public rtc::signal::ClusterBus {
public:
    void publish(std::string_view payload) override { pending.emplace_back(payload); }
    std::vector<std::string> pending;
};

struct Node {
    TestBus* bus;
    rtc::signal::Rooms* rooms;
};

// Delivers every published payload to every node (the publisher too, as Redis does) until no
// node publishes any more; returns how many payloads were delivered. Bounded.
inline std::size_t pump(std::vector<Node> nodes, rtc::signal::TimePoint now) {
    std::size_t delivered = 0;
    for (int round = 0; round < 50; ++round) {
        std::vector<std::string> batch;
        for (auto& n : nodes) {
            for (auto& p : n.bus->pending)
                batch.push_back(std::move(p));
            n.bus->pending.clear();
        }
        if (batch.empty())
            return delivered;
        for (const auto& payload : batch)
            for (auto& n : nodes) {
                n.rooms->on_cluster_event(payload, now);
                ++delivered;
            }
    }
    FAIL("the bus never went quiet");
    return delivered;
}

// Admits and attaches `peer` to `room`; returns the connection and checks the welcome.
inline rtc::signal::ConnectionId join(rtc::signal::Rooms& rooms, FakeSink& sink, std::string room,
                                      std::string peer, rtc::signal::TimePoint now = kT0) {
    auto admission = rooms.admit({.room = room, .peer_id = peer, .resume_token = {}}, now);
    REQUIRE_MESSAGE(admission.ok, admission.error);
    const auto id = rooms.attach(admission, sink, now);
    REQUIRE(!sink.sent.empty());
    const Json welcome = Json::parse(sink.sent.front(), nullptr, false);
    REQUIRE(welcome.value("type", "") == "welcome");
    CHECK(welcome["id"] == admission.peer_id);
    CHECK(welcome["room"] == admission.room);
    return id;
}

// The welcome sent on `sink` (the first message), then clears the sink.
inline Json welcome_of(FakeSink& sink) {
    auto all = sink.drain();
    REQUIRE(!all.empty());
    REQUIRE(all.front()["type"] == "welcome");
    return all.front();
}

} // namespace rooms_test

#pragma once
// A PeerSink that records what the PeerJS core sends, and a clock for its tests.
#include "signal/peerjs.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace peerjs_test {

using rtc::signal::TimePoint;

inline const TimePoint kT0{std::chrono::seconds(1000)};

struct RecordingSink : rtc::signal::PeerSink {
    std::vector<std::string> sent;
    int closes = 0;
    std::optional<uint16_t> close_code;
    std::string close_reason;

    void send(std::string_view text) override { sent.emplace_back(text); }
    void close(uint16_t code, std::string_view reason) override {
        ++closes;
        close_code = code;
        close_reason = std::string(reason);
    }
    nlohmann::json message(std::size_t index) const {
        return index < sent.size() ? nlohmann::json::parse(sent[index]) : nlohmann::json();
    }
    std::string last() const { return sent.empty() ? std::string() : sent.back(); }
};

// Options with some fields changed (designated initializers would trip
// -Wmissing-field-initializers in g++ 12).
template <typename Set> rtc::signal::PeerJsOptions options_with(Set set) {
    rtc::signal::PeerJsOptions options;
    set(options);
    return options;
}

// A client attached with OPEN; its connection id is checked by the caller.
inline std::optional<rtc::signal::ConnectionId> open(rtc::signal::PeerJsServer& server,
                                                     std::string_view id, RecordingSink& sink,
                                                     TimePoint now = kT0,
                                                     std::string_view token = "tok") {
    return server.attach(server.options().key, id, token, sink, now);
}

} // namespace peerjs_test

#pragma once
// Internal to the TURN server core (server.cpp, server_tcp.cpp): one authenticated request
// being answered.
#include "turn/server.hpp"

#include <chrono>
#include <optional>
#include <span>
#include <string_view>

namespace rtc::turn {

struct TurnServer::Request {
    const stun::MessageView& m;
    const ClientContext& context;
    Clock::time_point now;
    std::chrono::system_clock::time_point wall;
    std::span<uint8_t> out;
    Allocation* allocation = nullptr;
    std::optional<LongTermKey> key; // set once authenticated
    bool integrity_sha256 = false;  // the request used MESSAGE-INTEGRITY-SHA256
    std::string_view username;
};

} // namespace rtc::turn

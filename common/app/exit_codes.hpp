#pragma once
// Exit codes shared by every tool (CLI.md "Every tool") and the two exception types that choose
// between them. run_main() (run_main.hpp) turns them into one line on stderr.
#include <stdexcept>
#include <string>

namespace rtc::app {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1; // runtime failure: cannot bind, peer unreachable, ...
inline constexpr int kExitUsage = 2;   // usage or configuration error

// A runtime failure the user can act on. what() says what went wrong, hint() what to do:
// throw ToolError("cannot listen on udp://0.0.0.0:3478: address in use",
//                 "is another TURN server running?");
class ToolError : public std::runtime_error {
public:
    explicit ToolError(const std::string& what, std::string hint = {})
        : std::runtime_error(what), hint_(std::move(hint)) {}
    const std::string& hint() const { return hint_; }

private:
    std::string hint_;
};

// A usage or configuration error (exit 2). By convention what() starts with the flag it is
// about: ConfigError("--cert: needed by the tls://*:5349 listener"). An empty hint becomes
// "see rtc-<tool> --help".
class ConfigError : public ToolError {
public:
    using ToolError::ToolError;
};

} // namespace rtc::app

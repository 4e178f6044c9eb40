#pragma once
// Values of the shared flags other than --listen, and CLI11 validators a tool attaches to its
// own options so that every value is checked while parsing, before anything binds:
//
//   app.add_option("--max-allocations", max, "...")->check(rtc::app::validate::number(1, 1e6));
//
// A validator's message names the value; CLI11 prefixes the flag, ToolCli adds the tool name:
//   rtc-turn: --max-allocations: value "x" is not a number (see rtc-turn --help)
#include "app/listen_url.hpp"
#include "util/ip_address.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rtc::app {

// --port-range MIN-MAX
struct PortRange {
    uint16_t min = 0;
    uint16_t max = 0;

    bool contains(uint16_t port) const { return port >= min && port <= max; }
    std::string to_string() const; // "49152-65535"
    bool operator==(const PortRange&) const = default;
};

// --external-ip IP or PUBLIC/PRIVATE (CLI.md "Endpoints")
struct ExternalIp {
    util::IpAddress public_ip;
    std::optional<util::IpAddress> private_ip;

    std::string to_string() const; // "203.0.113.5" or "203.0.113.5/10.0.0.5"
    bool operator==(const ExternalIp&) const = default;
};

// Each returns nullopt on failure and sets *error (if given) to a message that quotes the value.
std::optional<uint64_t> parse_number(std::string_view text, uint64_t min, uint64_t max,
                                     std::string* error = nullptr);
std::optional<PortRange> parse_port_range(std::string_view text, std::string* error = nullptr);
std::optional<ExternalIp> parse_external_ip(std::string_view text, std::string* error = nullptr);
// HOST:PORT with an IPv4 or bracketed IPv6 host.
std::optional<util::Endpoint> parse_endpoint(std::string_view text, std::string* error = nullptr);
// A duration like "3s", "500ms", "2m", "1h" or a bare number of seconds, within [min, max].
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text,
                                                        std::chrono::milliseconds min,
                                                        std::chrono::milliseconds max,
                                                        std::string* error = nullptr);
// Checks that path names a regular file this process can read; the message carries strerror.
bool check_readable_file(const std::string& path, std::string* error = nullptr);

namespace validate {

CLI::Validator number(uint64_t min, uint64_t max);
CLI::Validator ip_address();
CLI::Validator endpoint();
CLI::Validator port_range();
CLI::Validator external_ip();
CLI::Validator listen_url(ListenSpec spec);
CLI::Validator readable_file();
CLI::Validator duration(std::chrono::milliseconds min, std::chrono::milliseconds max);
// The value must be one of choices; its description "{a,b,c}" is what completions read.
CLI::Validator one_of(std::vector<std::string> choices);

} // namespace validate

} // namespace rtc::app

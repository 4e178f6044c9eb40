#pragma once
// One `rtc-probe stun` check: a Binding transaction (probe::BindingClient) over UDP, TCP or TLS
// to one server, on a shared io_context, bounded by --timeout.
#include "probe/binding.hpp"
#include "probe/server_url.hpp"
#include "util/ip_address.hpp"

#include <asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace rtc::tls {
class Context;
}

namespace rtc::probe_tool {

struct StunResult {
    std::string url_text;                 // as given
    std::optional<probe::ServerUrl> url;  // nullopt when it did not parse
    std::string transport;                // "udp", "tcp", "tls"
    std::optional<util::Endpoint> server; // resolved
    std::optional<util::Endpoint> local;
    std::optional<probe::BindingAnswer> answer; // a success or error response
    std::chrono::microseconds rtt{0};
    unsigned requests = 0;
    unsigned retransmissions = 0;
    std::string error; // why it failed; empty when the server answered with success

    bool ok() const { return error.empty() && answer && answer->success; }
};

struct StunCheckSettings {
    std::chrono::milliseconds timeout{3000};
    std::string software;                    // SOFTWARE in requests
    std::shared_ptr<const tls::Context> tls; // for stuns:, null otherwise
};

// Starts the check; `done` is called once with the result, from the io_context.
class StunCheck {
public:
    virtual ~StunCheck() = default;
    static std::unique_ptr<StunCheck> start(asio::io_context& io, StunResult result,
                                            const StunCheckSettings& settings,
                                            std::function<void(StunResult)> done);
};

} // namespace rtc::probe_tool

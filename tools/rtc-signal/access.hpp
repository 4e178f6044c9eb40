#pragma once
// Who may open a signaling WebSocket, decided before the upgrade: the Origin policy
// (--allow-origin) and the token (--token-secret HS256 JWT, or --token).
#include "http/request_parser.hpp"
#include "signal_options.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rtc::signal_tool {

struct AccessDecision {
    bool ok = false;
    int status = 401;      // when !ok: 401 no/bad token, 403 origin or claims refused
    std::string error;     // when !ok: one line for the body and the log
    std::string peer_id;   // when ok: the id the token binds (JWT "sub"), else empty
};

class AccessPolicy {
public:
    AccessPolicy(const SignalOptions& options, std::vector<std::string> jwt_secrets);
    // SIGHUP: new JWT secrets (the old ones stop working at once).
    void set_jwt_secrets(std::vector<std::string> secrets) { secrets_ = std::move(secrets); }
    bool token_required() const { return !secrets_.empty() || !static_token_.empty(); }

    // The request may join `room` as `peer_id` (empty: not chosen yet).
    AccessDecision check(const http::Request& request, bool tls, std::string_view room,
                         std::string_view peer_id,
                         std::chrono::system_clock::time_point now) const;

    // Origin alone (PeerJS, which has its own key): nullopt when allowed, else why not.
    std::optional<std::string> check_origin(const http::Request& request, bool tls) const;

private:
    std::optional<std::string> token_of(const http::Request& request) const;

    std::vector<std::string> origins_;
    bool any_origin_ = false;
    std::string static_token_;
    std::vector<std::string> secrets_;
};

} // namespace rtc::signal_tool

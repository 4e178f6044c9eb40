#include "access.hpp"

#include "crypto/constant_time.hpp"
#include "http/query.hpp"
#include "signal/jwt.hpp"

#include <algorithm>
#include <cctype>

namespace rtc::signal_tool {

namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::span<const uint8_t> bytes(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// "https://example.org:8443" -> "example.org:8443"; the scheme's default port is dropped so
// that it compares with a Host field that leaves it out (RFC 6454 §4).
std::string origin_authority(std::string_view origin, bool& secure) {
    const auto sep = origin.find("://");
    const auto scheme = lower(origin.substr(0, sep));
    secure = scheme == "https";
    std::string authority = lower(origin.substr(sep + 3));
    if (secure && authority.size() > 4 && authority.ends_with(":443"))
        authority.resize(authority.size() - 4);
    if (!secure && authority.size() > 3 && authority.ends_with(":80"))
        authority.resize(authority.size() - 3);
    return authority;
}

} // namespace

AccessPolicy::AccessPolicy(const SignalOptions& options, std::vector<std::string> jwt_secrets)
    : static_token_(options.static_token), secrets_(std::move(jwt_secrets)) {
    for (const auto& o : options.allow_origins) {
        if (o == "*")
            any_origin_ = true;
        else
            origins_.push_back(lower(o));
    }
}

std::optional<std::string> AccessPolicy::check_origin(const http::Request& request,
                                                      bool tls) const {
    const auto origin = request.header("Origin");
    if (!origin || any_origin_) // not a browser, or every origin allowed
        return std::nullopt;
    const std::string o = lower(*origin);
    if (std::find(origins_.begin(), origins_.end(), o) != origins_.end())
        return std::nullopt;
    if (origins_.empty()) {
        if (token_required()) // the token is the guard; pages of any origin may carry one
            return std::nullopt;
        // Same origin only (RFC 6454): the page came from this server.
        if (o != "null" && o.find("://") != std::string::npos) {
            bool secure = false;
            const auto authority = origin_authority(o, secure);
            std::string host = lower(request.header("Host").value_or(""));
            if (secure && host.ends_with(":443"))
                host.resize(host.size() - 4);
            if (!secure && host.ends_with(":80"))
                host.resize(host.size() - 3);
            if (secure == tls && authority == host)
                return std::nullopt;
        }
    }
    return "origin " + std::string(*origin) + " is not allowed (see --allow-origin)";
}

std::optional<std::string> AccessPolicy::token_of(const http::Request& request) const {
    if (auto auth = request.header("Authorization")) {
        constexpr std::string_view kBearer = "bearer ";
        if (auth->size() > kBearer.size() && lower(auth->substr(0, kBearer.size())) == kBearer)
            return std::string(auth->substr(kBearer.size()));
    }
    return http::query_param(request.query(), "token");
}

AccessDecision AccessPolicy::check(const http::Request& request, bool tls, std::string_view room,
                                   std::string_view peer_id,
                                   std::chrono::system_clock::time_point now) const {
    AccessDecision d;
    if (auto refused = check_origin(request, tls)) {
        d.status = 403;
        d.error = *refused;
        return d;
    }
    if (!token_required()) {
        d.ok = true;
        return d;
    }
    const auto token = token_of(request);
    if (!token || token->empty()) {
        d.error = "a token is required (token= query parameter or Authorization: Bearer)";
        return d;
    }
    if (!static_token_.empty() && crypto::constant_time_equal(bytes(*token), bytes(static_token_))) {
        d.ok = true;
        return d;
    }
    if (secrets_.empty()) {
        d.error = "wrong token";
        return d;
    }
    auto verified = signal::verify_jwt(*token, secrets_, now);
    if (!verified.ok) {
        d.error = "token refused: " + verified.error;
        return d;
    }
    const auto& claims = verified.claims;
    if (!claims.room.empty() && claims.room != "*" && claims.room != room) {
        d.status = 403;
        d.error = "the token is for another room";
        return d;
    }
    if (!claims.sub.empty() && !peer_id.empty() && claims.sub != peer_id) {
        d.status = 403;
        d.error = "the token is for another peer id";
        return d;
    }
    d.ok = true;
    d.peer_id = claims.sub;
    return d;
}

} // namespace rtc::signal_tool

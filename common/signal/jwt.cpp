#include "signal/jwt.hpp"

#include "crypto/constant_time.hpp"
#include "crypto/hash.hpp"
#include "signal/base64url.hpp"
#include "signal/schema.hpp"

#include <cmath>
#include <cstring>
#include <limits>

namespace rtc::signal {

namespace {

std::span<const uint8_t> bytes_of(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

JwtResult fail(const char* error) {
    JwtResult r;
    r.error = error;
    return r;
}

// Decodes one base64url part holding a JSON object (RFC 7515 §7.1: header and payload).
std::optional<Json> decode_object(std::string_view part) {
    auto raw = base64url_decode(part);
    if (!raw)
        return std::nullopt;
    const std::string_view text(reinterpret_cast<const char*>(raw->data()), raw->size());
    if (!json_depth_within(text, kMaxJsonDepth))
        return std::nullopt;
    Json j = Json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return std::nullopt;
    return j;
}

// NumericDate (RFC 7519 §2): seconds since the epoch, possibly fractional. Out-of-range or
// non-finite values are refused.
std::optional<int64_t> numeric_date(const Json& v) {
    if (v.is_number_unsigned()) { // checked first: is_number_integer() covers it too
        const uint64_t u = v.get<uint64_t>();
        if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
            return std::nullopt;
        return static_cast<int64_t>(u);
    }
    if (v.is_number_integer())
        return v.get<int64_t>();
    if (v.is_number_float()) {
        const double d = v.get<double>();
        if (!std::isfinite(d) || d < -9.0e18 || d > 9.0e18)
            return std::nullopt;
        return static_cast<int64_t>(std::floor(d));
    }
    return std::nullopt;
}

crypto::Sha256Digest sign(std::string_view signing_input, std::string_view secret) {
    return crypto::hmac_sha256(bytes_of(secret), bytes_of(signing_input));
}

} // namespace

JwtResult verify_jwt(std::string_view token, std::span<const std::string> secrets, SystemTime now,
                     std::chrono::seconds leeway) {
    if (secrets.empty())
        return fail("no secret");
    if (token.empty() || token.size() > kMaxJwtLength)
        return fail("malformed");
    // RFC 7515 §7.1: BASE64URL(header) '.' BASE64URL(payload) '.' BASE64URL(signature).
    const std::size_t dot1 = token.find('.');
    if (dot1 == std::string_view::npos)
        return fail("malformed");
    const std::size_t dot2 = token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
        return fail("malformed");
    const std::string_view header_part = token.substr(0, dot1);
    const std::string_view payload_part = token.substr(dot1 + 1, dot2 - dot1 - 1);
    const std::string_view signature_part = token.substr(dot2 + 1);

    auto header = decode_object(header_part);
    if (!header)
        return fail("malformed");
    // RFC 7515 §4.1.1 / RFC 7518 §3.1: only HS256; "none" and every other alg are refused.
    auto alg = header->find("alg");
    if (alg == header->end() || !alg->is_string() || alg->get_ref<const std::string&>() != "HS256")
        return fail("unsupported alg");
    // RFC 7515 §4.1.11: we understand no extensions, so any "crit" makes the token invalid.
    if (header->contains("crit"))
        return fail("unsupported alg");

    auto signature = base64url_decode(signature_part);
    if (!signature || signature->size() != crypto::Sha256Digest{}.size())
        return fail("bad signature");
    // RFC 7515 §5.2 step 8: the MAC is over the ASCII signing input, compared in constant time.
    const std::string_view signing_input = token.substr(0, dot2);
    bool matched = false;
    for (const auto& secret : secrets) {
        const auto mac = sign(signing_input, secret);
        if (crypto::constant_time_equal(mac, *signature))
            matched = true;
    }
    if (!matched)
        return fail("bad signature");

    auto payload = decode_object(payload_part);
    if (!payload)
        return fail("malformed");
    JwtResult result;
    auto exp = payload->find("exp");
    if (exp == payload->end())
        return fail("missing exp");
    auto exp_value = numeric_date(*exp);
    if (!exp_value)
        return fail("bad claims");
    result.claims.exp = *exp_value;
    if (auto nbf = payload->find("nbf"); nbf != payload->end()) {
        auto nbf_value = numeric_date(*nbf);
        if (!nbf_value)
            return fail("bad claims");
        result.claims.nbf = *nbf_value;
    }
    if (auto room = payload->find("room"); room != payload->end()) {
        if (!room->is_string() || room->get_ref<const std::string&>().empty())
            return fail("bad claims");
        result.claims.room = room->get<std::string>();
    }
    if (auto sub = payload->find("sub"); sub != payload->end()) {
        if (!sub->is_string() || sub->get_ref<const std::string&>().empty())
            return fail("bad claims");
        result.claims.sub = sub->get<std::string>();
    }

    const int64_t now_s =
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    const int64_t skew = leeway.count() < 0 ? 0 : leeway.count();
    // RFC 7519 §4.1.4: the current time must be before exp. Saturating arithmetic: the claims
    // may be anywhere in int64_t.
    auto add = [](int64_t a, int64_t b) {
        return a > std::numeric_limits<int64_t>::max() - b ? std::numeric_limits<int64_t>::max()
                                                           : a + b;
    };
    if (now_s >= add(result.claims.exp, skew))
        return fail("expired");
    // RFC 7519 §4.1.5: not accepted before nbf.
    if (result.claims.nbf && add(now_s, skew) < *result.claims.nbf)
        return fail("not yet valid");
    result.ok = true;
    return result;
}

std::string mint_jwt(const JwtClaims& claims, std::string_view secret) {
    nlohmann::ordered_json payload;
    payload["exp"] = claims.exp;
    if (claims.nbf)
        payload["nbf"] = *claims.nbf;
    if (!claims.room.empty())
        payload["room"] = claims.room;
    if (!claims.sub.empty())
        payload["sub"] = claims.sub;
    std::string token = base64url_encode(std::string_view(R"({"alg":"HS256","typ":"JWT"})"));
    token += '.';
    token += base64url_encode(payload.dump(-1, ' ', false, Json::error_handler_t::replace));
    const auto mac = sign(token, secret);
    token += '.';
    token += base64url_encode(mac);
    return token;
}

bool jwt_allows(const JwtClaims& claims, std::string_view room, std::string_view peer_id) {
    if (!claims.room.empty() && claims.room != "*" && claims.room != room)
        return false;
    if (!claims.sub.empty() && claims.sub != peer_id)
        return false;
    return true;
}

} // namespace rtc::signal

#pragma once
// Query strings and percent-encoding of request targets (RFC 3986 §2.1, §3.4; '+' as space as
// in application/x-www-form-urlencoded, which browsers use for query strings).
#include <optional>
#include <string>
#include <string_view>

namespace rtc::http {

// Decodes %XX escapes (and '+' as space when plus_is_space). nullopt on a bad escape or a NUL.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space = false);

// Encodes everything but RFC 3986 unreserved characters.
std::string percent_encode(std::string_view text);

// The decoded value of the first `name=` parameter of `query` ("a=1&b=2"), "" for "name" or
// "name=", nullopt when absent or badly escaped.
std::optional<std::string> query_param(std::string_view query, std::string_view name);

} // namespace rtc::http

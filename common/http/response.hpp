#pragma once
// A tiny HTTP/1.1 response writer (RFC 9112 §4, §6) appending to a caller-owned string.
//
//   std::string out;
//   rtc::http::Header extra[] = {{"Date", rtc::http::http_date(std::chrono::system_clock::now())}};
//   rtc::http::write_response(out, {.status = 200, .content_type = "text/plain",
//                                   .body = "ok", .extra_headers = extra});
#include "http/request_parser.hpp"

#include <chrono>
#include <span>
#include <string>
#include <string_view>

namespace rtc::http {

struct Response {
    int status = 200;
    std::string_view content_type{}; // omitted when empty
    std::string_view body{};
    bool keep_alive = true; // false adds "Connection: close"
    bool head = false;      // answer to HEAD: headers as for GET, no body (RFC 9110 §9.3.2)
    std::span<const Header> extra_headers{}; // fields holding CR or LF are skipped
};

// Appends the status line, Content-Type, Content-Length, Connection, extra fields and the body.
// 1xx, 204 and 304 responses get neither Content-Length nor body (RFC 9110 §8.6).
void write_response(std::string& out, const Response& response);

// "OK", "Not Found", ...; "Unknown" for codes not listed.
std::string_view reason_phrase(int status);

// IMF-fixdate for the Date field (RFC 9110 §5.6.7), e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
std::string http_date(std::chrono::system_clock::time_point time);

} // namespace rtc::http

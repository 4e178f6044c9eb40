#include "http/request_parser.hpp"
#include "http/response.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace rtc::http;

namespace {

ParseStatus parse_all(RequestParser& p, const std::string& s) {
    return p.parse(s);
}

ParseError error_of(const std::string& s, ParserLimits limits = {}) {
    RequestParser p(limits);
    CHECK(p.parse(s) == ParseStatus::Error);
    return p.error();
}

std::string with_headers(std::size_t count, std::size_t value_size = 1) {
    std::string s = "GET / HTTP/1.1\r\nHost: h\r\n";
    for (std::size_t i = 1; i < count; ++i)
        s += "X-" + std::to_string(i) + ": " + std::string(value_size, 'v') + "\r\n";
    return s + "\r\n";
}

} // namespace

TEST_CASE("http: a GET request parses into views") {
    const std::string s = "GET /metrics?x=1&y HTTP/1.1\r\nHost: example.org\r\n"
                          "user-agent:  curl/7.88 \r\nAccept: */*\r\n\r\n";
    RequestParser p;
    REQUIRE(parse_all(p, s) == ParseStatus::Complete);
    const Request& r = p.request();
    CHECK(r.method == "GET");
    CHECK(r.target == "/metrics?x=1&y");
    CHECK(r.path() == "/metrics");
    CHECK(r.query() == "x=1&y");
    CHECK(r.version_minor == 1);
    REQUIRE(r.headers.size() == 3);
    CHECK(r.headers[1].name == "user-agent");
    CHECK(r.headers[1].value == "curl/7.88");
    CHECK(r.header("USER-AGENT") == "curl/7.88");
    CHECK_FALSE(r.header("Cookie").has_value());
    CHECK(r.body.empty());
    CHECK(r.keep_alive());
    CHECK(p.consumed() == s.size());
    // Views point into the caller's buffer.
    CHECK(r.method.data() == s.data());
    // Complete is sticky until reset().
    CHECK(p.parse(s) == ParseStatus::Complete);
}

TEST_CASE("http: body by Content-Length and pipelined requests") {
    const std::string first = "POST /whip HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
                              "Connection: close\r\n\r\nhello";
    const std::string second = "GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n";
    std::string buffer = first + second;
    RequestParser p;
    REQUIRE(p.parse(buffer) == ParseStatus::Complete);
    CHECK(p.request().body == "hello");
    CHECK_FALSE(p.request().keep_alive());
    CHECK(p.consumed() == first.size());
    buffer.erase(0, p.consumed());
    p.reset();
    REQUIRE(p.parse(buffer) == ParseStatus::Complete);
    CHECK(p.request().target == "/healthz");
    CHECK(p.consumed() == second.size());
}

TEST_CASE("http: a request split byte by byte, in a buffer that moves") {
    const std::string s = "\r\nPUT /room/1 HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n"
                          "Content-Type: application/sdp\r\n\r\nv=0\r\no=- 1 ";
    RequestParser p;
    std::string growing;
    for (std::size_t i = 0; i < s.size(); ++i) {
        // A fresh copy each time: the parser must not keep pointers across calls.
        std::string copy = growing + s[i];
        growing.swap(copy);
        const auto status = p.parse(growing);
        if (i + 1 < s.size())
            REQUIRE(status == ParseStatus::NeedMore);
        else
            REQUIRE(status == ParseStatus::Complete);
    }
    const Request& r = p.request();
    CHECK(r.method == "PUT");
    CHECK(r.target == "/room/1");
    CHECK(r.header("content-type") == "application/sdp");
    CHECK(r.body == "v=0\r\no=- 1 ");
    CHECK(p.consumed() == s.size());
}

TEST_CASE("http: bare LF line endings, HTTP/1.0 and Connection tokens") {
    // The buffers outlive the checks: request() views point into them.
    const std::string a = "GET / HTTP/1.0\nConnection: Keep-Alive, Upgrade\n\n";
    const std::string b = "GET / HTTP/1.0\r\n\r\n";
    const std::string c = "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 2, 2\r\n\r\nok";
    RequestParser p;
    REQUIRE(p.parse(a) == ParseStatus::Complete);
    CHECK(p.request().version_minor == 0);
    CHECK(p.request().keep_alive());
    CHECK(p.request().has_token("connection", "upgrade"));
    CHECK_FALSE(p.request().has_token("connection", "close"));
    p.reset();
    REQUIRE(p.parse(b) == ParseStatus::Complete);
    CHECK_FALSE(p.request().keep_alive());
    p.reset();
    REQUIRE(p.parse(c) == ParseStatus::Complete);
    CHECK(p.request().body == "ok");
}

TEST_CASE("http: line length limits") {
    ParserLimits limits;
    const std::string long_target = "/" + std::string(limits.max_line, 'a');
    CHECK(error_of("GET " + long_target + " HTTP/1.1\r\nHost: h\r\n\r\n") ==
          ParseError::RequestLineTooLong);
    CHECK(status_for(ParseError::RequestLineTooLong) == 414);
    // Detected before the line ends.
    CHECK(error_of("GET /" + std::string(limits.max_line + 10, 'a')) ==
          ParseError::RequestLineTooLong);
    // Exactly at the limit is fine.
    const std::string target = "/" + std::string(limits.max_line - 14, 'a');
    const std::string line = "GET " + target + " HTTP/1.1";
    REQUIRE(line.size() == limits.max_line);
    RequestParser p;
    CHECK(p.parse(line + "\r\nHost: h\r\n\r\n") == ParseStatus::Complete);

    const std::string field = "X-Long: " + std::string(limits.max_line, 'b');
    CHECK(error_of("GET / HTTP/1.1\r\nHost: h\r\n" + field + "\r\n\r\n") ==
          ParseError::HeaderLineTooLong);
    CHECK(status_for(ParseError::HeaderLineTooLong) == 431);
    // A small custom limit.
    CHECK(error_of("GET /abcdef HTTP/1.1\r\n", ParserLimits{.max_line = 10}) ==
          ParseError::RequestLineTooLong);
}

TEST_CASE("http: header count and total size limits") {
    RequestParser ok;
    CHECK(ok.parse(with_headers(100)) == ParseStatus::Complete);
    CHECK(ok.request().headers.size() == 100);
    CHECK(error_of(with_headers(101)) == ParseError::TooManyHeaders);
    // 9 fields of 8000 bytes exceed 64 KiB in total although each line is within limits.
    CHECK(error_of(with_headers(10, 8000)) == ParseError::HeadersTooLarge);
    CHECK(error_of(with_headers(4, 100), ParserLimits{.max_header_bytes = 200}) ==
          ParseError::HeadersTooLarge);
    CHECK(error_of(with_headers(5), ParserLimits{.max_headers = 3}) == ParseError::TooManyHeaders);
    // Endless blank lines before the request line are bounded too.
    CHECK(error_of(std::string(20000, '\n')) == ParseError::BadRequestLine);
}

TEST_CASE("http: body limit set by the caller") {
    const ParserLimits limits{.max_body = 10};
    RequestParser p(limits);
    CHECK(p.parse(
              std::string("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789")) ==
          ParseStatus::Complete);
    CHECK(error_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", limits) ==
          ParseError::BodyTooLarge);
    CHECK(status_for(ParseError::BodyTooLarge) == 413);
    // The limit applies before any body byte arrives.
    RequestParser q(limits);
    CHECK(q.parse(std::string("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nab")) ==
          ParseStatus::NeedMore);
}

TEST_CASE("http: malformed requests are rejected with the right error") {
    CHECK(error_of("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n") ==
          ParseError::ChunkedNotSupported);
    CHECK(status_for(ParseError::ChunkedNotSupported) == 411);
    CHECK(error_of("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n") ==
          ParseError::UnsupportedTransferEncoding);
    CHECK(error_of("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n") ==
          ParseError::BadContentLength);
    CHECK(error_of("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n") ==
          ParseError::BadContentLength);
    CHECK(error_of("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n") ==
          ParseError::BadContentLength);
    CHECK(
        error_of("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n") ==
        ParseError::BadContentLength);
    CHECK(error_of("GET / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n") ==
          ParseError::BadContentLength);
    CHECK(error_of("GET / HTTP/1.1\r\n\r\n") == ParseError::MissingHost);
    CHECK(error_of("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") == ParseError::MissingHost);
    CHECK(error_of("GET / HTTP/2.0\r\nHost: h\r\n\r\n") == ParseError::UnsupportedVersion);
    CHECK(status_for(ParseError::UnsupportedVersion) == 505);
    CHECK(error_of("GET / HTTP/1.10\r\nHost: h\r\n\r\n") == ParseError::BadRequestLine);
    CHECK(error_of("GET / http/1.1\r\nHost: h\r\n\r\n") == ParseError::BadRequestLine);
    CHECK(error_of("GET  / HTTP/1.1\r\nHost: h\r\n\r\n") == ParseError::BadRequestLine);
    CHECK(error_of("GET /\r\nHost: h\r\n\r\n") == ParseError::BadRequestLine);
    CHECK(error_of(" / HTTP/1.1\r\nHost: h\r\n\r\n") == ParseError::BadRequestLine);
    CHECK(error_of("G(T / HTTP/1.1\r\nHost: h\r\n\r\n") == ParseError::BadRequestLine);
    CHECK(error_of("GET /a\rb HTTP/1.1\r\nHost: h\r\n\r\n") == ParseError::BadRequestLine);
    CHECK(error_of("GET / HTTP/1.1\r\nHost : h\r\n\r\n") == ParseError::BadHeader);
    CHECK(error_of("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n") == ParseError::BadHeader);
    CHECK(error_of("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n") == ParseError::BadHeader);
    CHECK(error_of(std::string("GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n", 36)) ==
          ParseError::BadHeader);
    CHECK(error_of("GET / HTTP/1.1\r\nHost: h\r\n: empty\r\n\r\n") == ParseError::BadHeader);
    CHECK(status_for(ParseError::BadHeader) == 400);
    CHECK(to_string(ParseError::ChunkedNotSupported).find("Content-Length") !=
          std::string_view::npos);
}

TEST_CASE("http: an error is sticky until reset") {
    RequestParser p;
    CHECK(p.parse(std::string("BAD\r\n\r\n")) == ParseStatus::Error);
    CHECK(p.parse(std::string("GET / HTTP/1.1\r\nHost: h\r\n\r\n")) == ParseStatus::Error);
    p.reset();
    CHECK(p.error() == ParseError::None);
    CHECK(p.parse(std::string("GET / HTTP/1.1\r\nHost: h\r\n\r\n")) == ParseStatus::Complete);
}

TEST_CASE("http: response writer") {
    std::string out;
    const Header extra[] = {{"Cache-Control", "no-store"}, {"X-Evil", "a\r\nSet-Cookie: x"}};
    write_response(
        out, {.status = 200, .content_type = "text/plain", .body = "ok", .extra_headers = extra});
    CHECK(out == "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"
                 "Cache-Control: no-store\r\n\r\nok");
    out.clear();
    write_response(out, {.status = 405, .body = "no", .keep_alive = false, .head = true});
    CHECK(out ==
          "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 2\r\nConnection: close\r\n\r\n");
    out.clear();
    write_response(out, {.status = 204, .content_type = "text/plain", .body = "ignored"});
    CHECK(out == "HTTP/1.1 204 No Content\r\n\r\n");
    CHECK(reason_phrase(431) == "Request Header Fields Too Large");
    // RFC 9110 §5.6.7 example date.
    CHECK(http_date(std::chrono::system_clock::from_time_t(784111777)) ==
          "Sun, 06 Nov 1994 08:49:37 GMT");
}

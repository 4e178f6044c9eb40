#pragma once
// An incremental HTTP/1.1 request parser (RFC 9112) that returns views into the caller's buffer,
// with every size bounded. Bodies need a Content-Length; chunked bodies are refused for now.
//
//   rtc::http::RequestParser parser({.max_body = 64 * 1024});
//   buffer.append(bytes_from_socket);              // keep appending to the same request
//   switch (parser.parse(buffer)) {
//   case ParseStatus::NeedMore: break;             // read more, call parse() again
//   case ParseStatus::Complete:
//       handle(parser.request());                  // views into `buffer`
//       buffer.erase(0, parser.consumed());        // pipelined bytes stay
//       parser.reset();
//       break;
//   case ParseStatus::Error:
//       reply(status_for(parser.error()));         // and close the connection
//   }
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace rtc::http {

struct Header {
    std::string_view name;
    std::string_view value; // without surrounding whitespace (RFC 9112 §5)
};

struct Request {
    std::string_view method;
    std::string_view target;
    int version_minor = 1; // HTTP/1.0 or HTTP/1.1
    std::span<const Header> headers;
    std::string_view body;

    // The first field with this name (case-insensitive), if any.
    std::optional<std::string_view> header(std::string_view name) const;
    // True if any field `name` lists `token` in its comma-separated value (case-insensitive),
    // e.g. has_token("Connection", "upgrade").
    bool has_token(std::string_view name, std::string_view token) const;
    // RFC 9112 §9.3: 1.1 persists unless "Connection: close"; 1.0 only with "keep-alive".
    bool keep_alive() const;
    std::string_view path() const;  // target up to '?'
    std::string_view query() const; // after '?', empty if none
};

struct ParserLimits {
    std::size_t max_line = 8 * 1024;          // request line or one field line, without CRLF
    std::size_t max_header_bytes = 64 * 1024; // request line + fields + blank line
    std::size_t max_headers = 100;
    std::size_t max_body = 64 * 1024;
};

enum class ParseStatus { NeedMore, Complete, Error };

enum class ParseError : uint8_t {
    None,
    RequestLineTooLong,          // 414
    HeaderLineTooLong,           // 431
    HeadersTooLarge,             // 431
    TooManyHeaders,              // 431
    BadRequestLine,              // 400
    UnsupportedVersion,          // 505
    BadHeader,                   // 400
    MissingHost,                 // 400 (RFC 9112 §3.2: exactly one Host in HTTP/1.1)
    BadContentLength,            // 400
    BodyTooLarge,                // 413
    ChunkedNotSupported,         // 411: send a Content-Length instead
    UnsupportedTransferEncoding, // 501
};

std::string_view to_string(ParseError error);
// The response status that fits the error.
int status_for(ParseError error);

class RequestParser {
public:
    explicit RequestParser(ParserLimits limits = {});

    // `input` holds the bytes received since the start of this request (after the previous
    // request's consumed() bytes). Between calls it may only grow at the end; it may move in
    // memory. Once Complete or Error, further calls return the same result until reset().
    ParseStatus parse(std::string_view input);

    // Valid after Complete, while `input` is unchanged.
    const Request& request() const { return request_; }
    // After Complete: the bytes of this request (leading blank lines, head and body).
    std::size_t consumed() const { return consumed_; }
    ParseError error() const { return error_; }
    const ParserLimits& limits() const { return limits_; }
    void reset();

private:
    struct FieldOffsets {
        uint32_t name_offset, name_length, value_offset, value_length;
    };
    ParseStatus fail(ParseError e);
    ParseStatus scan_head(std::string_view input);
    ParseStatus parse_head(std::string_view input);
    void build_request(std::string_view input);

    enum class Phase { Head, Body, Complete, Failed };
    ParserLimits limits_;
    Phase phase_ = Phase::Head;
    ParseError error_ = ParseError::None;
    std::size_t request_start_ = 0; // after ignored leading blank lines
    std::size_t line_start_ = 0;
    std::size_t scan_ = 0;
    std::size_t lines_ = 0;
    std::size_t head_end_ = 0;
    std::size_t body_length_ = 0;
    std::size_t consumed_ = 0;
    // Request line parts as offsets, so the caller's buffer may move until completion.
    std::size_t method_offset_ = 0, method_length_ = 0, target_offset_ = 0, target_length_ = 0;
    std::vector<FieldOffsets> fields_; // reserved once: max_headers entries
    std::vector<Header> headers_;
    Request request_;
};

} // namespace rtc::http

#pragma once
// Static files under a root directory (rtc-signal --web-root): GET and HEAD, paths normalised
// and refused when they could leave the root, index.html for directories, Content-Type by
// extension, a size bound. Everything but reading the file is sans-I/O.
//
//   auto file = rtc::http::serve_static("/srv/www", request);   // request from RequestParser
//   reply(file.status, file.content_type, file.body, file.headers);
#include "http/request_parser.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rtc::http {

struct StaticOptions {
    std::size_t max_file_size = 8 * 1024 * 1024; // larger files are refused (403)
    std::string index = "index.html";            // served for a directory
};

struct StaticReply {
    int status = 200;
    std::string content_type;
    std::string body; // the file, also for HEAD (the server drops it and keeps its length)
    std::vector<std::pair<std::string, std::string>> headers; // Allow, Location, ...
};

enum class PathError : uint8_t {
    None,
    NotOrigin,    // not "/..." (RFC 9112 §3.2.1 origin-form)
    BadEscape,    // '%' not followed by two hex digits
    EncodedSlash, // %2F or %5C: a separator hidden in a segment
    Nul,          // %00 or a raw control character
    DotDot,       // a ".." segment
    Hidden,       // a segment starting with '.' (".well-known" excepted)
    Backslash,    // '\' anywhere
};

struct NormalizedPath {
    PathError error = PathError::None;
    // When no error: the decoded path relative to the root, segments joined by '/', no leading
    // or trailing '/', no empty or "." segments; empty for the root itself.
    std::string relative;
    bool directory = false; // the request path ended with '/'
};

// Decodes and checks the path part of a request target (RFC 3986 §2.1 percent-encoding,
// §3.3 segments). Refuses rather than resolves "..": no request may climb out of the root.
NormalizedPath normalize_path(std::string_view target_path);

// "text/html; charset=utf-8" for "a/index.html", ...; application/octet-stream if unknown.
// Case-insensitive on the extension.
std::string_view content_type_for(std::string_view path);

// True if `candidate` (canonical, absolute) is `root` (canonical, absolute) or below it.
bool is_within(std::string_view root, std::string_view candidate);

// Answers a GET or HEAD for a file below `root`: 200, 301 (directory without the trailing
// slash), 400 (bad escape or not origin-form), 403 (refused path, a symlink out of the root, not
// a regular file, unreadable or larger than max_file_size), 404, 405 (with Allow), 500 (root
// missing).
StaticReply serve_static(const std::string& root, const Request& request,
                         const StaticOptions& options = {});

} // namespace rtc::http

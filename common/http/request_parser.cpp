#include "http/request_parser.hpp"

#include <cstring>

namespace rtc::http {

namespace {

// RFC 9110 §5.6.2: tchar.
bool is_tchar(unsigned char c) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != 0;
}

bool is_token(std::string_view s) {
    if (s.empty())
        return false;
    for (unsigned char c : s)
        if (!is_tchar(c))
            return false;
    return true;
}

bool is_ows(char c) {
    return c == ' ' || c == '\t';
}

// RFC 9110 §5.5: field-value is VCHAR / obs-text / SP / HTAB; no other control characters.
bool is_field_value(std::string_view s) {
    for (unsigned char c : s)
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return false;
    return true;
}

// A request-target: visible ASCII only (RFC 9112 §3.2, RFC 3986 characters).
bool is_target(std::string_view s) {
    if (s.empty())
        return false;
    for (unsigned char c : s)
        if (c <= 0x20 || c >= 0x7f)
            return false;
    return true;
}

std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && is_ows(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_ows(s.back()))
        s.remove_suffix(1);
    return s;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = static_cast<char>(y - 'A' + 'a');
        if (x != y)
            return false;
    }
    return true;
}

// Calls f(token) for each element of a comma-separated list (RFC 9110 §5.6.1), skipping empties.
template <class F> bool for_each_element(std::string_view list, F&& f) {
    while (!list.empty()) {
        const auto comma = list.find(',');
        const auto item = trim_ows(list.substr(0, comma));
        if (!item.empty() && f(item))
            return true;
        if (comma == std::string_view::npos)
            break;
        list.remove_prefix(comma + 1);
    }
    return false;
}

// Strips the optional CR before LF (RFC 9112 §2.2 lets a recipient accept a bare LF).
std::string_view line_content(std::string_view input, std::size_t start, std::size_t lf) {
    std::size_t end = lf;
    if (end > start && input[end - 1] == '\r')
        --end;
    return input.substr(start, end - start);
}

} // namespace

std::optional<std::string_view> Request::header(std::string_view name) const {
    for (const auto& h : headers)
        if (iequals(h.name, name))
            return h.value;
    return std::nullopt;
}

bool Request::has_token(std::string_view name, std::string_view token) const {
    for (const auto& h : headers)
        if (iequals(h.name, name) &&
            for_each_element(h.value, [&](std::string_view t) { return iequals(t, token); }))
            return true;
    return false;
}

bool Request::keep_alive() const {
    if (has_token("Connection", "close"))
        return false;
    return version_minor >= 1 || has_token("Connection", "keep-alive");
}

std::string_view Request::path() const {
    return target.substr(0, target.find('?'));
}

std::string_view Request::query() const {
    const auto q = target.find('?');
    return q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
}

std::string_view to_string(ParseError error) {
    switch (error) {
    case ParseError::None:
        return "no error";
    case ParseError::RequestLineTooLong:
        return "request line too long";
    case ParseError::HeaderLineTooLong:
        return "header line too long";
    case ParseError::HeadersTooLarge:
        return "headers too large";
    case ParseError::TooManyHeaders:
        return "too many header fields";
    case ParseError::BadRequestLine:
        return "malformed request line";
    case ParseError::UnsupportedVersion:
        return "HTTP version not supported";
    case ParseError::BadHeader:
        return "malformed header field";
    case ParseError::MissingHost:
        return "missing or repeated Host header";
    case ParseError::BadContentLength:
        return "invalid Content-Length";
    case ParseError::BodyTooLarge:
        return "body too large";
    case ParseError::ChunkedNotSupported:
        return "chunked bodies are not supported, send Content-Length";
    case ParseError::UnsupportedTransferEncoding:
        return "unsupported Transfer-Encoding";
    }
    return "unknown error";
}

int status_for(ParseError error) {
    switch (error) {
    case ParseError::None:
        return 200;
    case ParseError::RequestLineTooLong:
        return 414;
    case ParseError::HeaderLineTooLong:
    case ParseError::HeadersTooLarge:
    case ParseError::TooManyHeaders:
        return 431;
    case ParseError::UnsupportedVersion:
        return 505;
    case ParseError::BodyTooLarge:
        return 413;
    case ParseError::ChunkedNotSupported:
        return 411;
    case ParseError::UnsupportedTransferEncoding:
        return 501;
    default:
        return 400;
    }
}

RequestParser::RequestParser(ParserLimits limits) : limits_(limits) {
    fields_.reserve(limits_.max_headers);
    headers_.reserve(limits_.max_headers);
}

void RequestParser::reset() {
    phase_ = Phase::Head;
    error_ = ParseError::None;
    request_start_ = line_start_ = scan_ = lines_ = head_end_ = body_length_ = consumed_ = 0;
    fields_.clear();
    headers_.clear();
    request_ = Request{};
}

ParseStatus RequestParser::fail(ParseError e) {
    error_ = e;
    phase_ = Phase::Failed;
    return ParseStatus::Error;
}

ParseStatus RequestParser::parse(std::string_view input) {
    switch (phase_) {
    case Phase::Failed:
        return ParseStatus::Error;
    case Phase::Complete:
        return ParseStatus::Complete;
    case Phase::Head: {
        const auto s = scan_head(input);
        if (s != ParseStatus::Complete)
            return s;
        const auto h = parse_head(input);
        if (h != ParseStatus::Complete)
            return h;
        phase_ = Phase::Body;
        [[fallthrough]];
    }
    case Phase::Body:
        if (input.size() - head_end_ < body_length_)
            return ParseStatus::NeedMore;
        consumed_ = head_end_ + body_length_;
        build_request(input);
        phase_ = Phase::Complete;
        return ParseStatus::Complete;
    }
    return ParseStatus::Error;
}

// Finds the blank line that ends the head, resuming where the previous call stopped, and
// enforces the size limits before the head is complete.
ParseStatus RequestParser::scan_head(std::string_view input) {
    while (scan_ < input.size()) {
        const void* nl = std::memchr(input.data() + scan_, '\n', input.size() - scan_);
        const std::size_t end =
            nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - input.data())
               : input.size();
        // Without its CR (a line in progress may already end with the CR of its CRLF).
        const std::size_t line_length = line_content(input, line_start_, end).size();
        if (line_length > limits_.max_line)
            return fail(lines_ == 0 ? ParseError::RequestLineTooLong
                                    : ParseError::HeaderLineTooLong);
        if (end - request_start_ > limits_.max_header_bytes)
            return fail(ParseError::HeadersTooLarge);
        if (!nl) {
            scan_ = input.size();
            return ParseStatus::NeedMore;
        }
        scan_ = end + 1;
        if (line_length == 0) {
            if (lines_ == 0) {
                // RFC 9112 §2.2: ignore empty lines before the request line (bounded).
                request_start_ = scan_;
                if (request_start_ > limits_.max_line)
                    return fail(ParseError::BadRequestLine);
            } else {
                head_end_ = scan_;
                return ParseStatus::Complete;
            }
        } else if (++lines_ > limits_.max_headers + 1) {
            return fail(ParseError::TooManyHeaders);
        }
        line_start_ = scan_;
    }
    return ParseStatus::NeedMore;
}

ParseStatus RequestParser::parse_head(std::string_view input) {
    // The request line (RFC 9112 §3): method SP request-target SP HTTP-version.
    std::size_t pos = request_start_;
    std::size_t lf = input.find('\n', pos);
    std::string_view line = line_content(input, pos, lf);
    if (line.find('\r') != std::string_view::npos)
        return fail(ParseError::BadRequestLine);
    const auto sp1 = line.find(' ');
    const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos)
        return fail(ParseError::BadRequestLine);
    const auto method = line.substr(0, sp1);
    const auto target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    const auto version = line.substr(sp2 + 1);
    if (!is_token(method) || !is_target(target))
        return fail(ParseError::BadRequestLine);
    // RFC 9112 §2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive.
    if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
        version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9')
        return fail(ParseError::BadRequestLine);
    if (version[5] != '1' || (version[7] != '0' && version[7] != '1'))
        return fail(ParseError::UnsupportedVersion);
    const int minor = version[7] - '0';
    method_offset_ = pos;
    method_length_ = method.size();
    target_offset_ = pos + sp1 + 1;
    target_length_ = target.size();
    request_.version_minor = minor;

    // Field lines (RFC 9112 §5): field-name ":" OWS field-value OWS.
    int hosts = 0;
    bool has_length = false, has_transfer_encoding = false, chunked = false;
    std::optional<uint64_t> length;
    pos = lf + 1;
    while (pos < head_end_) {
        lf = input.find('\n', pos);
        line = line_content(input, pos, lf);
        if (line.empty())
            break;                // the blank line ending the head
        if (is_ows(line.front())) // obs-fold is rejected (RFC 9112 §5.2)
            return fail(ParseError::BadHeader);
        const auto colon = line.find(':');
        if (colon == std::string_view::npos)
            return fail(ParseError::BadHeader);
        const auto name = line.substr(0, colon); // no whitespace before ':' (RFC 9112 §5.1)
        const auto value = trim_ows(line.substr(colon + 1));
        if (!is_token(name) || !is_field_value(value))
            return fail(ParseError::BadHeader);
        if (fields_.size() == limits_.max_headers)
            return fail(ParseError::TooManyHeaders);
        fields_.push_back({static_cast<uint32_t>(pos), static_cast<uint32_t>(name.size()),
                           static_cast<uint32_t>(value.data() - input.data()),
                           static_cast<uint32_t>(value.size())});
        if (iequals(name, "Host")) {
            ++hosts;
        } else if (iequals(name, "Content-Length")) {
            // RFC 9110 §8.6: 1*DIGIT; repeated or listed values must all agree (RFC 9112 §6.3).
            has_length = true;
            bool bad = false;
            const bool any = for_each_element(value, [&](std::string_view v) {
                uint64_t n = 0;
                for (char c : v) {
                    if (c < '0' || c > '9' || n > (UINT64_MAX - 9) / 10) {
                        bad = true;
                        return true;
                    }
                    n = n * 10 + static_cast<uint64_t>(c - '0');
                }
                if (length && *length != n)
                    bad = true;
                length = n;
                return bad;
            });
            (void)any;
            if (bad || !length)
                return fail(ParseError::BadContentLength);
        } else if (iequals(name, "Transfer-Encoding")) {
            has_transfer_encoding = true;
            for_each_element(value, [&](std::string_view v) {
                chunked |= iequals(v, "chunked");
                return false;
            });
        }
        pos = lf + 1;
    }
    if (minor == 1 ? hosts != 1 : hosts > 1)
        return fail(ParseError::MissingHost);
    // RFC 9112 §6.1: Transfer-Encoding wins over Content-Length; we decode neither coding.
    if (has_transfer_encoding)
        return fail(chunked ? ParseError::ChunkedNotSupported
                            : ParseError::UnsupportedTransferEncoding);
    if (has_length) {
        if (*length > limits_.max_body)
            return fail(ParseError::BodyTooLarge);
        body_length_ = static_cast<std::size_t>(*length);
    }
    return ParseStatus::Complete;
}

void RequestParser::build_request(std::string_view input) {
    headers_.clear();
    for (const auto& f : fields_)
        headers_.push_back({input.substr(f.name_offset, f.name_length),
                            input.substr(f.value_offset, f.value_length)});
    request_.method = input.substr(method_offset_, method_length_);
    request_.target = input.substr(target_offset_, target_length_);
    request_.headers = headers_;
    request_.body = input.substr(head_end_, body_length_);
}

} // namespace rtc::http

#include "http/response.hpp"

#include <ctime>

namespace rtc::http {

namespace {

bool safe_field(std::string_view s) {
    return s.find_first_of("\r\n") == std::string_view::npos;
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
    out.append(name).append(": ").append(value).append("\r\n");
}

} // namespace

std::string_view reason_phrase(int status) {
    switch (status) {
    case 100:
        return "Continue";
    case 101:
        return "Switching Protocols";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Content";
    case 426:
        return "Upgrade Required";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

void write_response(std::string& out, const Response& r) {
    const int status = (r.status >= 100 && r.status <= 999) ? r.status : 500;
    out.append("HTTP/1.1 ").append(std::to_string(status)).append(" ");
    out.append(reason_phrase(status)).append("\r\n");
    const bool bodyless = status < 200 || status == 204 || status == 304;
    if (!r.content_type.empty() && safe_field(r.content_type) && !bodyless)
        append_field(out, "Content-Type", r.content_type);
    if (!bodyless)
        append_field(out, "Content-Length", std::to_string(r.body.size()));
    if (!r.keep_alive)
        append_field(out, "Connection", "close");
    for (const auto& h : r.extra_headers)
        if (!h.name.empty() && safe_field(h.name) && safe_field(h.value))
            append_field(out, h.name, h.value);
    out.append("\r\n");
    if (!bodyless && !r.head)
        out.append(r.body);
}

std::string http_date(std::chrono::system_clock::time_point time) {
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const std::time_t t = std::chrono::system_clock::to_time_t(time);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[40];
    std::snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday % 7],
                  tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                  tm.tm_sec);
    return buf;
}

} // namespace rtc::http

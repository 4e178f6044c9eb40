#include "app/log.hpp"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace rtc::app {

namespace {

constexpr std::array<std::string_view, 6> kLevelNames = {"trace", "debug", "info",
                                                         "warn",  "error", "off"};
// A longer value is cut and marked, so that one hostile field cannot make a huge line.
constexpr std::size_t kMaxValueBytes = 4096;
constexpr char kHex[] = "0123456789abcdef";

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629 §4), or 0 if it is not one.
std::size_t utf8_length(std::string_view s, std::size_t i) {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    auto cont = [&](std::size_t k) { return i + k < s.size() && (b(k) & 0xc0) == 0x80; };
    unsigned char c = b(0);
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return cont(1) ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if (!cont(1) || !cont(2))
            return 0;
        if ((c == 0xe0 && b(1) < 0xa0) || (c == 0xed && b(1) > 0x9f))
            return 0; // overlong or surrogate
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (!cont(1) || !cont(2) || !cont(3))
            return 0;
        if ((c == 0xf0 && b(1) < 0x90) || (c == 0xf4 && b(1) > 0x8f))
            return 0; // overlong or above U+10FFFF
        return 4;
    }
    return 0;
}

// JSON string body (RFC 8259 §7); invalid UTF-8 becomes U+FFFD so the line stays valid JSON.
void append_json_escaped(std::string& out, std::string_view s) {
    bool cut = s.size() > kMaxValueBytes;
    if (cut)
        s = s.substr(0, kMaxValueBytes);
    for (std::size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c == 0x7f) {
            out += "\\u00";
            out += kHex[c >> 4];
            out += kHex[c & 0xf];
        } else if (c >= 0x80) {
            std::size_t n = utf8_length(s, i);
            if (n == 0) {
                out += "\\ufffd";
                ++i;
                continue;
            }
            out.append(s.substr(i, n));
            i += n;
            continue;
        } else {
            out += static_cast<char>(c);
        }
        ++i;
    }
    if (cut)
        out += "...";
}

bool needs_quotes_in_text(std::string_view s) {
    if (s.empty())
        return true;
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c == '"' || c == '=' || c == '\\' || c == 0x7f)
            return true;
    }
    return false;
}

// Text values: bare when simple, else "quoted" with \" \\ \n \xNN escapes (logfmt style).
void append_text_value(std::string& out, std::string_view s) {
    bool cut = s.size() > kMaxValueBytes;
    if (cut)
        s = s.substr(0, kMaxValueBytes);
    bool quote = needs_quotes_in_text(s);
    if (quote)
        out += '"';
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c == '\n') {
            out += "\\n";
        } else if (c < 0x20 || c == 0x7f) {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 0xf];
        } else {
            out += ch;
        }
    }
    if (cut)
        out += "...";
    if (quote)
        out += '"';
}

// The message in text format: no quotes, but no control characters either.
void append_text_message(std::string& out, std::string_view s) {
    if (s.size() > kMaxValueBytes)
        s = s.substr(0, kMaxValueBytes);
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7f) {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 0xf];
        } else {
            out += ch;
        }
    }
}

template <class T> void append_number(std::string& out, T value) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    if (ec == std::errc())
        out.append(buf, end);
}

// RFC 3339 UTC with milliseconds: 2026-11-24T11:00:00.123Z
void append_timestamp(std::string& out, std::chrono::system_clock::time_point when) {
    using namespace std::chrono;
    auto ms = duration_cast<milliseconds>(when.time_since_epoch()).count();
    auto secs = static_cast<std::time_t>(ms / 1000);
    auto millis = static_cast<int>(ms % 1000);
    if (millis < 0) {
        millis += 1000;
        --secs;
    }
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                          tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
    if (n > 0)
        out.append(buf, static_cast<std::size_t>(n) < sizeof buf ? static_cast<std::size_t>(n)
                                                                 : sizeof buf - 1);
}

} // namespace

std::string_view log_level_name(LogLevel level) {
    auto i = static_cast<std::size_t>(level);
    return i < kLevelNames.size() ? kLevelNames[i] : "?";
}

std::optional<LogLevel> parse_log_level(std::string_view text) {
    for (std::size_t i = 0; i < kLevelNames.size(); ++i)
        if (text == kLevelNames[i])
            return static_cast<LogLevel>(i);
    return std::nullopt;
}

std::string_view log_format_name(LogFormat format) {
    return format == LogFormat::Json ? "json" : "text";
}

std::optional<LogFormat> parse_log_format(std::string_view text) {
    if (text == "text")
        return LogFormat::Text;
    if (text == "json")
        return LogFormat::Json;
    return std::nullopt;
}

bool LogField::is_json_literal() const {
    switch (kind_) {
    case Kind::Signed:
    case Kind::Unsigned:
    case Kind::Bool:
        return true;
    case Kind::Double:
        return std::isfinite(d_); // RFC 8259 §6: no NaN or infinity
    default:
        return false;
    }
}

void LogField::append_value(std::string& out) const {
    switch (kind_) {
    case Kind::String:
        out.append(s_);
        break;
    case Kind::Signed:
        append_number(out, i_);
        break;
    case Kind::Unsigned:
        append_number(out, u_);
        break;
    case Kind::Double:
        if (std::isfinite(d_))
            append_number(out, d_);
        else
            out += std::isnan(d_) ? "nan" : (d_ > 0 ? "inf" : "-inf");
        break;
    case Kind::Bool:
        out += u_ ? "true" : "false";
        break;
    case Kind::Custom:
        custom_.append(custom_.object, out);
        break;
    }
}

Logger::Logger(std::string tool_name, LogLevel level, LogFormat format, int fd)
    : tool_(std::move(tool_name)), level_(level), format_(format), fd_(fd) {}

void Logger::format_line(std::string& out, std::chrono::system_clock::time_point when,
                         LogLevel level, std::string_view msg, LogFields fields) const {
    out.clear();
    thread_local std::string value;
    if (format_ == LogFormat::Json) {
        out += "{\"ts\":\"";
        append_timestamp(out, when);
        out += "\",\"level\":\"";
        out += log_level_name(level);
        out += "\",\"tool\":\"";
        append_json_escaped(out, tool_);
        out += "\",\"msg\":\"";
        append_json_escaped(out, msg);
        out += '"';
        for (const LogField& f : fields) {
            out += ",\"";
            append_json_escaped(out, f.key());
            out += "\":";
            value.clear();
            f.append_value(value);
            bool bare = f.is_json_literal();
            if (bare) {
                out += value;
            } else {
                out += '"';
                append_json_escaped(out, value);
                out += '"';
            }
        }
        out += "}\n";
        return;
    }
    append_timestamp(out, when);
    out += ' ';
    out += log_level_name(level);
    out += ' ';
    append_text_message(out, tool_);
    out += ": ";
    append_text_message(out, msg);
    for (const LogField& f : fields) {
        out += ' ';
        append_text_message(out, f.key());
        out += '=';
        value.clear();
        f.append_value(value);
        append_text_value(out, value);
    }
    out += '\n';
}

void Logger::write(LogLevel level, std::string_view msg, LogFields fields) {
    thread_local std::string line;
    format_line(line, std::chrono::system_clock::now(), level, msg, fields);
    // One write() per line so that lines from several threads do not interleave; a short write
    // (full pipe) continues where it stopped, a bounded number of times.
    const char* p = line.data();
    std::size_t left = line.size();
    for (int attempts = 0; left > 0 && attempts < 64; ++attempts) {
        ssize_t n = ::write(fd_, p, left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return; // nowhere to report a failing stderr
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

} // namespace rtc::app

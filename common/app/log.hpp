#pragma once
// Leveled logger to stderr (CLI.md "Server plumbing"), one line per call, text or JSON lines:
//
//   2026-11-24T11:00:00.123Z info rtc-stun: listening url=udp://0.0.0.0:3478
//   {"ts":"2026-11-24T11:00:00.123Z","level":"info","tool":"rtc-stun","msg":"listening",
//    "url":"udp://0.0.0.0:3478"}
//
//   rtc::app::Logger log("rtc-stun", opts.log_level, opts.log_format);
//   log.info("listening", {{"url", url}});              // url.to_string() is called
//   log.debug("dropped", {{"peer", from}, {"bytes", n}}); // costs a level check when off
//
// Fields keep a pointer to their value, so building them costs nothing and values are only
// formatted when the level is enabled; build them inside the call, never store them.
// Thread-safe: each line is formatted in a per-thread buffer and written with one write().
#include <atomic>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace rtc::app {

enum class LogLevel : uint8_t { Trace, Debug, Info, Warn, Error, Off };
enum class LogFormat : uint8_t { Text, Json };

std::string_view log_level_name(LogLevel level); // "trace" ... "off"
std::optional<LogLevel> parse_log_level(std::string_view text);
std::string_view log_format_name(LogFormat format); // "text", "json"
std::optional<LogFormat> parse_log_format(std::string_view text);

template <class T>
concept HasToString = requires(const T& v) {
    { v.to_string() } -> std::convertible_to<std::string>;
};

// One key=value of a log line: a string, number, bool, or anything with to_string().
class LogField {
public:
    enum class Kind : uint8_t { String, Signed, Unsigned, Double, Bool, Custom };

    template <class T> LogField(std::string_view key, const T& value) : key_(key), u_(0) {
        if constexpr (std::is_same_v<T, bool>) {
            kind_ = Kind::Bool;
            u_ = value ? 1 : 0;
        } else if constexpr (std::is_same_v<T, char>) {
            kind_ = Kind::String;
            s_ = std::string_view(&value, 1);
        } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
            kind_ = Kind::Signed;
            i_ = value;
        } else if constexpr (std::is_integral_v<T>) {
            kind_ = Kind::Unsigned;
            u_ = value;
        } else if constexpr (std::is_floating_point_v<T>) {
            kind_ = Kind::Double;
            d_ = static_cast<double>(value);
        } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
            kind_ = Kind::String;
            s_ = std::string_view(value);
        } else if constexpr (std::is_enum_v<T>) {
            kind_ = Kind::Signed;
            i_ = static_cast<int64_t>(value);
        } else {
            static_assert(HasToString<T>, "log field values need to_string()");
            kind_ = Kind::Custom;
            custom_ = {&value, [](const void* p, std::string& out) {
                           out += static_cast<const T*>(p)->to_string();
                       }};
        }
    }

    std::string_view key() const { return key_; }
    Kind kind() const { return kind_; }
    // True when the value is written bare in JSON (a finite number or a bool).
    bool is_json_literal() const;
    // Appends the value's plain text (no quoting or escaping).
    void append_value(std::string& out) const;

private:
    struct Custom {
        const void* object;
        void (*append)(const void*, std::string&);
    };
    std::string_view key_;
    Kind kind_ = Kind::String;
    union {
        std::string_view s_;
        int64_t i_;
        uint64_t u_;
        double d_;
        Custom custom_;
    };
};

using LogFields = std::initializer_list<LogField>;

class Logger {
public:
    // Writes to fd (stderr by default); the logger does not own or close it.
    explicit Logger(std::string tool_name, LogLevel level = LogLevel::Info,
                    LogFormat format = LogFormat::Text, int fd = 2);

    bool enabled(LogLevel level) const {
        return level >= level_.load(std::memory_order_relaxed) && level != LogLevel::Off;
    }
    LogLevel level() const { return level_.load(std::memory_order_relaxed); }
    void set_level(LogLevel level) { level_.store(level, std::memory_order_relaxed); }
    LogFormat format() const { return format_; }

    void log(LogLevel level, std::string_view msg, LogFields fields = {}) {
        if (enabled(level))
            write(level, msg, fields);
    }
    void trace(std::string_view msg, LogFields fields = {}) { log(LogLevel::Trace, msg, fields); }
    void debug(std::string_view msg, LogFields fields = {}) { log(LogLevel::Debug, msg, fields); }
    void info(std::string_view msg, LogFields fields = {}) { log(LogLevel::Info, msg, fields); }
    void warn(std::string_view msg, LogFields fields = {}) { log(LogLevel::Warn, msg, fields); }
    void error(std::string_view msg, LogFields fields = {}) { log(LogLevel::Error, msg, fields); }

    // Formats one line (with its '\n') into out, replacing its contents.
    void format_line(std::string& out, std::chrono::system_clock::time_point when, LogLevel level,
                     std::string_view msg, LogFields fields) const;

private:
    void write(LogLevel level, std::string_view msg, LogFields fields);

    std::string tool_;
    std::atomic<LogLevel> level_;
    LogFormat format_;
    int fd_;
};

} // namespace rtc::app

#include "app/option_values.hpp"

#include "app/quote.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace rtc::app {

namespace {

template <class T> std::optional<T> fail(std::string* error, std::string message) {
    if (error)
        *error = std::move(message);
    return std::nullopt;
}

// Wraps a parse function into a CLI11 check: an empty string means the value is good.
template <class Parse> CLI::Validator make_validator(Parse parse, std::string description) {
    return CLI::Validator(
        [parse](std::string& value) {
            std::string error;
            if (!parse(value, &error))
                return error.empty() ? "value " + quote_value(value) + " is not valid" : error;
            return std::string();
        },
        std::move(description));
}

} // namespace

std::string PortRange::to_string() const {
    return std::to_string(min) + "-" + std::to_string(max);
}

std::string ExternalIp::to_string() const {
    std::string out = public_ip.to_string();
    if (private_ip)
        out += "/" + private_ip->to_string();
    return out;
}

std::optional<uint64_t> parse_number(std::string_view text, uint64_t min, uint64_t max,
                                     std::string* error) {
    if (text.empty())
        return fail<uint64_t>(error, "value is empty, expected a number");
    uint64_t value = 0;
    bool too_big = false;
    for (char c : text) {
        if (c < '0' || c > '9')
            return fail<uint64_t>(error, "value " + quote_value(text) + " is not a number");
        auto digit = static_cast<uint64_t>(c - '0');
        if (value > (UINT64_MAX - digit) / 10)
            too_big = true;
        else
            value = value * 10 + digit;
    }
    if (too_big || value < min || value > max)
        return fail<uint64_t>(error, "value " + quote_value(text) + " is out of range (" +
                                         std::to_string(min) + "-" + std::to_string(max) + ")");
    return value;
}

std::optional<PortRange> parse_port_range(std::string_view text, std::string* error) {
    auto dash = text.find('-');
    if (dash == std::string_view::npos)
        return fail<PortRange>(error, "value " + quote_value(text) + " is not a range MIN-MAX");
    std::string why;
    auto lo = parse_number(text.substr(0, dash), 1, 65535, &why);
    auto hi = parse_number(text.substr(dash + 1), 1, 65535, &why);
    if (!lo || !hi)
        return fail<PortRange>(error, "value " + quote_value(text) +
                                          " is not a range MIN-MAX of ports 1-65535");
    if (*lo > *hi)
        return fail<PortRange>(error, "value " + quote_value(text) + " has MIN above MAX");
    return PortRange{static_cast<uint16_t>(*lo), static_cast<uint16_t>(*hi)};
}

std::optional<ExternalIp> parse_external_ip(std::string_view text, std::string* error) {
    auto slash = text.find('/');
    auto public_part = text.substr(0, slash);
    auto public_ip = util::IpAddress::parse(public_part);
    if (!public_ip)
        return fail<ExternalIp>(error, quote_value(public_part) + " is not an IP address");
    ExternalIp out{*public_ip, std::nullopt};
    if (slash != std::string_view::npos) {
        auto private_part = text.substr(slash + 1);
        auto private_ip = util::IpAddress::parse(private_part);
        if (!private_ip)
            return fail<ExternalIp>(error, quote_value(private_part) + " is not an IP address");
        if (private_ip->family() != public_ip->family())
            return fail<ExternalIp>(error, quote_value(text) + " mixes IPv4 and IPv6");
        out.private_ip = private_ip;
    }
    return out;
}

std::optional<util::Endpoint> parse_endpoint(std::string_view text, std::string* error) {
    auto endpoint = util::Endpoint::parse(text);
    if (!endpoint)
        return fail<util::Endpoint>(error, "value " + quote_value(text) +
                                               " is not HOST:PORT (IPv6 in brackets)");
    return endpoint;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text,
                                                        std::chrono::milliseconds min,
                                                        std::chrono::milliseconds max,
                                                        std::string* error) {
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
        ++digits;
    const auto unit = text.substr(digits);
    uint64_t scale = 0; // milliseconds per unit
    if (unit.empty() || unit == "s")
        scale = 1000;
    else if (unit == "ms")
        scale = 1;
    else if (unit == "m")
        scale = 60 * 1000;
    else if (unit == "h")
        scale = 3600 * 1000;
    const auto number = digits ? parse_number(text.substr(0, digits), 0, UINT32_MAX) : std::nullopt;
    if (!number || scale == 0) {
        if (error)
            *error = "value " + quote_value(text) + " is not a duration (e.g. 3s, 500ms, 2m)";
        return std::nullopt;
    }
    const std::chrono::milliseconds value(*number * scale);
    if (value < min || value > max) {
        if (error)
            *error = "value " + quote_value(text) + " is out of range " +
                     std::to_string(min.count()) + "ms-" + std::to_string(max.count()) + "ms";
        return std::nullopt;
    }
    return value;
}

bool check_readable_file(const std::string& path, std::string* error) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        if (error)
            *error = "cannot read " + quote_value(path) + ": " + std::strerror(errno);
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        if (error)
            *error = "cannot read " + quote_value(path) + ": not a regular file";
        return false;
    }
    std::ifstream in(path);
    if (!in) {
        if (error)
            *error = "cannot read " + quote_value(path) + ": " + std::strerror(errno);
        return false;
    }
    return true;
}

namespace validate {

CLI::Validator duration(std::chrono::milliseconds min, std::chrono::milliseconds max) {
    return make_validator(
        [min, max](const std::string& v, std::string* e) {
            return parse_duration(v, min, max, e).has_value();
        },
        "");
}

CLI::Validator number(uint64_t min, uint64_t max) {
    return make_validator(
        [min, max](const std::string& v, std::string* e) {
            return parse_number(v, min, max, e).has_value();
        },
        "");
}

CLI::Validator ip_address() {
    return make_validator(
        [](const std::string& v, std::string* e) {
            if (util::IpAddress::parse(v))
                return true;
            *e = "value " + quote_value(v) + " is not an IP address";
            return false;
        },
        "");
}

CLI::Validator endpoint() {
    return make_validator(
        [](const std::string& v, std::string* e) { return parse_endpoint(v, e).has_value(); }, "");
}

CLI::Validator port_range() {
    return make_validator(
        [](const std::string& v, std::string* e) { return parse_port_range(v, e).has_value(); },
        "");
}

CLI::Validator external_ip() {
    return make_validator(
        [](const std::string& v, std::string* e) { return parse_external_ip(v, e).has_value(); },
        "");
}

CLI::Validator listen_url(ListenSpec spec) {
    return make_validator(
        [spec = std::move(spec)](const std::string& v, std::string* e) {
            return parse_listen_url(v, spec, e).has_value();
        },
        "");
}

CLI::Validator readable_file() {
    return make_validator(
        [](const std::string& v, std::string* e) { return check_readable_file(v, e); }, "");
}

CLI::Validator one_of(std::vector<std::string> choices) {
    std::string list;
    for (const auto& c : choices)
        list += (list.empty() ? "" : ",") + c;
    return make_validator(
        [choices](const std::string& v, std::string* e) {
            for (const auto& c : choices)
                if (v == c)
                    return true;
            std::string expected;
            for (std::size_t i = 0; i < choices.size(); ++i)
                expected += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + choices[i];
            *e = "value " + quote_value(v) + " is not one of " + expected;
            return false;
        },
        "{" + list + "}");
}

} // namespace validate

} // namespace rtc::app

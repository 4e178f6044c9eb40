#include "app/option_values.hpp"

#include "test_support.hpp"

#include <doctest/doctest.h>

using namespace rtc::app;

TEST_CASE("option_values: numbers") {
    std::string error;
    CHECK(parse_number("42", 1, 100) == 42u);
    CHECK_FALSE(parse_number("x", 1, 100, &error));
    CHECK(error == "value \"x\" is not a number");
    CHECK_FALSE(parse_number("0", 1, 100, &error));
    CHECK(error == "value \"0\" is out of range (1-100)");
    CHECK_FALSE(parse_number("99999999999999999999999", 1, 100, &error));
    CHECK(error.find("out of range") != std::string::npos);
    CHECK_FALSE(parse_number("-1", 0, 100));
    CHECK_FALSE(parse_number("", 0, 100));
}

TEST_CASE("option_values: port ranges") {
    auto r = parse_port_range("49152-65535");
    REQUIRE(r);
    CHECK(r->min == 49152);
    CHECK(r->max == 65535);
    CHECK(r->contains(50000));
    CHECK_FALSE(r->contains(1000));
    CHECK(r->to_string() == "49152-65535");
    std::string error;
    CHECK_FALSE(parse_port_range("2000-1000", &error));
    CHECK(error.find("MIN above MAX") != std::string::npos);
    CHECK_FALSE(parse_port_range("0-10"));
    CHECK_FALSE(parse_port_range("10-70000"));
    CHECK_FALSE(parse_port_range("10"));
    CHECK_FALSE(parse_port_range("a-b"));
}

TEST_CASE("option_values: external IP, alone or PUBLIC/PRIVATE") {
    auto one = parse_external_ip("203.0.113.5");
    REQUIRE(one);
    CHECK(one->public_ip.to_string() == "203.0.113.5");
    CHECK_FALSE(one->private_ip);
    auto two = parse_external_ip("203.0.113.5/10.0.0.5");
    REQUIRE(two);
    REQUIRE(two->private_ip);
    CHECK(two->private_ip->to_string() == "10.0.0.5");
    CHECK(two->to_string() == "203.0.113.5/10.0.0.5");
    std::string error;
    CHECK_FALSE(parse_external_ip("203.0.113.5/::1", &error));
    CHECK(error.find("mixes IPv4 and IPv6") != std::string::npos);
    CHECK_FALSE(parse_external_ip("host.example"));
    CHECK_FALSE(parse_external_ip("1.2.3.4/"));
}

TEST_CASE("option_values: readable files") {
    test::TempFile file("x");
    std::string error;
    CHECK(check_readable_file(file.path(), &error));
    CHECK_FALSE(check_readable_file("/nonexistent/rtc", &error));
    CHECK(error == "cannot read \"/nonexistent/rtc\": No such file or directory");
    CHECK_FALSE(check_readable_file("/tmp", &error));
    CHECK(error.find("not a regular file") != std::string::npos);
}

TEST_CASE("option_values: validators give CLI11 our messages") {
    std::string value = "x";
    CHECK(validate::number(1, 10)(value) == "value \"x\" is not a number");
    value = "5";
    CHECK(validate::number(1, 10)(value).empty());
    value = "1.2.3.4:5";
    CHECK(validate::endpoint()(value).empty());
    value = "::1:5";
    CHECK_FALSE(validate::endpoint()(value).empty());
    value = "::1";
    CHECK(validate::ip_address()(value).empty());
    value = "warn";
    CHECK(validate::one_of({"info", "warn"})(value).empty());
    value = "loud";
    CHECK(validate::one_of({"info", "warn"})(value) == "value \"loud\" is not one of info or warn");
    CHECK(validate::one_of({"a", "b", "c"}).get_description() == "{a,b,c}");
}

TEST_CASE("option_values: durations") {
    using std::chrono::milliseconds;
    const milliseconds lo{100}, hi{std::chrono::hours(24)};
    CHECK(rtc::app::parse_duration("3s", lo, hi) == milliseconds(3000));
    CHECK(rtc::app::parse_duration("500ms", lo, hi) == milliseconds(500));
    CHECK(rtc::app::parse_duration("2m", lo, hi) == milliseconds(120000));
    CHECK(rtc::app::parse_duration("1h", lo, hi) == milliseconds(3600000));
    CHECK(rtc::app::parse_duration("7", lo, hi) == milliseconds(7000));
    std::string error;
    CHECK_FALSE(rtc::app::parse_duration("3 s", lo, hi, &error));
    CHECK(error.find("not a duration") != std::string::npos);
    CHECK_FALSE(rtc::app::parse_duration("s", lo, hi));
    CHECK_FALSE(rtc::app::parse_duration("-1s", lo, hi));
    CHECK_FALSE(rtc::app::parse_duration("50ms", lo, hi, &error));
    CHECK(error.find("out of range") != std::string::npos);
    CHECK_FALSE(rtc::app::parse_duration("25h", lo, hi));
}

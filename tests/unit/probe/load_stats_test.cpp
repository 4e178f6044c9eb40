#include "probe/load_stats.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <vector>

using namespace rtc;

TEST_CASE("load LatencyHistogram: percentiles within a bucket of the true value") {
    probe::LatencyHistogram h;
    CHECK(h.percentile(0.5) == 0);
    for (int64_t v = 1; v <= 1000; ++v)
        h.record(v * 1000); // 1 us .. 1 ms
    CHECK(h.count() == 1000);
    CHECK(h.min() == 1000);
    CHECK(h.max() == 1'000'000);
    const auto p50 = h.percentile(0.5);
    CHECK(p50 >= 500'000);
    CHECK(p50 <= 500'000 * 107 / 100);
    const auto p99 = h.percentile(0.99);
    CHECK(p99 >= 990'000);
    CHECK(p99 <= 1'000'000);
    CHECK(h.percentile(1.0) == 1'000'000);
    CHECK(h.percentile(0.0) == 1000);
    h.record(-5); // a clock step backwards counts as zero
    CHECK(h.min() == 0);
}

TEST_CASE("load InFlight: answers match by slot, tag and socket; expiry frees slots") {
    probe::InFlight flight(2);
    stun::TransactionId a{}, b{}, c{};
    REQUIRE(flight.start(0, 100, 0x1111'2222'3333'4444, a));
    REQUIRE(flight.start(1, 200, 0x5555'6666'7777'8888, b));
    CHECK(flight.full());
    CHECK_FALSE(flight.start(0, 300, 1, c));
    CHECK(a != b);

    CHECK_FALSE(flight.finish(1, a).has_value()); // wrong socket
    auto forged = a;
    forged[11] ^= 1;
    CHECK_FALSE(flight.finish(0, forged).has_value());
    stun::TransactionId out_of_range{};
    out_of_range[0] = 0xFF;
    CHECK_FALSE(flight.finish(0, out_of_range).has_value());
    CHECK(flight.finish(0, a) == 100);
    CHECK_FALSE(flight.finish(0, a).has_value()); // a duplicate answer
    CHECK(flight.size() == 1);

    std::array<uint32_t, 2> per_socket{};
    CHECK(flight.expire(150, per_socket) == 0);
    CHECK(flight.expire(201, per_socket) == 1);
    CHECK(per_socket[1] == 1);
    CHECK(flight.size() == 0);
    CHECK_FALSE(flight.finish(1, b).has_value()); // expired: a late answer
}

TEST_CASE("load Binding request and answer headers (RFC 8489 §5)") {
    stun::TransactionId id{};
    for (std::size_t i = 0; i < id.size(); ++i)
        id[i] = static_cast<uint8_t>(0xA0 + i);
    std::array<uint8_t, probe::kBindingRequestSize> request{};
    probe::write_binding_request(request, id);
    const std::array<uint8_t, 8> head{0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42};
    CHECK(std::equal(head.begin(), head.end(), request.begin()));
    CHECK(std::equal(id.begin(), id.end(), request.begin() + 8));
    // A request is not an answer.
    CHECK(probe::read_binding_answer(request).kind == probe::AnswerKind::NotStun);

    std::vector<uint8_t> answer(request.begin(), request.end());
    answer[0] = 0x01;
    answer[1] = 0x01;
    auto parsed = probe::read_binding_answer(answer);
    CHECK(parsed.kind == probe::AnswerKind::Success);
    CHECK(parsed.id == id);
    answer[1] = 0x11;
    CHECK(probe::read_binding_answer(answer).kind == probe::AnswerKind::Error);

    answer[3] = 8; // claims 8 bytes of attributes that are not there
    CHECK(probe::read_binding_answer(answer).kind == probe::AnswerKind::NotStun);
    answer.resize(28);
    CHECK(probe::read_binding_answer(answer).kind == probe::AnswerKind::Error);
    answer[3] = 6; // not a multiple of 4
    CHECK(probe::read_binding_answer(answer).kind == probe::AnswerKind::NotStun);
    CHECK(probe::read_binding_answer(std::span<const uint8_t>(answer.data(), 19)).kind ==
          probe::AnswerKind::NotStun);
    answer[3] = 0;
    answer[4] = 0; // no magic cookie
    CHECK(probe::read_binding_answer(answer).kind == probe::AnswerKind::NotStun);
}

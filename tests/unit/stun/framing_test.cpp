#include "stun/framing.hpp"
#include "stun_test_util.hpp"

#include <vector>

using namespace rtc::stun;
using rtc::stun::test::hex;

TEST_CASE("stun/framing: STUN messages on a stream (RFC 8489 §6.2.2)") {
    auto msg = hex("0001 0008 2112a442 0102030405060708090a0b0c 00240004 00000001");
    std::span<const uint8_t> all(msg);
    CHECK_FALSE(stream_frame_length({}));
    CHECK_FALSE(stream_frame_length(all.first(1)));
    CHECK_FALSE(stream_frame_length(all.first(19)));
    CHECK(stream_frame_length(all.first(20)) == 28u);
    CHECK(stream_frame_length(all) == 28u);
    // No magic cookie, a length that is not a multiple of 4, or too large: invalid.
    CHECK(stream_frame_length(hex("0001 0008 deadbeef 0102030405060708090a0b0c")) == kInvalidFrame);
    CHECK(stream_frame_length(hex("0001 0006 2112a442 0102030405060708090a0b0c")) == kInvalidFrame);
    CHECK(stream_frame_length(hex("0001 fffc 2112a442 0102030405060708090a0b0c")) == 20u + 0xfffc);
    CHECK(stream_frame_length(hex("0001 fffc 2112a442 0102030405060708090a0b0c"), 1500) ==
          kInvalidFrame);
}

TEST_CASE("stun/framing: ChannelData on a stream is padded to 4 (RFC 8656 §12.5)") {
    CHECK_FALSE(stream_frame_length(hex("4000 00")));
    CHECK(stream_frame_length(hex("4000 0005")) == 12u);
    CHECK(stream_frame_length(hex("4fff 0004")) == 8u);
    CHECK(stream_frame_length(hex("4001 0000")) == 4u);
    CHECK(stream_frame_length(hex("4001 ffff")) == 4u + 0x10000);
    CHECK(stream_frame_length(hex("4001 0100"), 100) == kInvalidFrame);
    CHECK(stream_frame_length(hex("668e 0004")) == 8u); // RFC 5766 channel range (coturn)
    CHECK(stream_frame_length(hex("8000 0004")) == kInvalidFrame); // neither
    CHECK(stream_frame_length(hex("c000 0004")) == kInvalidFrame);
    CHECK(is_channel_data(hex("4000")));
    CHECK_FALSE(is_channel_data(hex("0001")));
}

TEST_CASE("stun/framing: splitting a stream of mixed frames") {
    auto stream = hex("4001 0003 aabbcc00 "
                      "0101 0000 2112a442 0102030405060708090a0b0c "
                      "4002 0001 ff000000");
    std::span<const uint8_t> rest(stream);
    std::vector<std::size_t> sizes;
    for (int i = 0; i < 10 && !rest.empty(); ++i) {
        auto n = stream_frame_length(rest);
        REQUIRE(n);
        REQUIRE(*n != kInvalidFrame);
        REQUIRE(*n <= rest.size());
        sizes.push_back(*n);
        rest = rest.subspan(*n);
    }
    CHECK(sizes == std::vector<std::size_t>{8, 20, 8});
}

#include "util/bytes.hpp"

#include <doctest/doctest.h>

#include <array>
#include <vector>

using rtc::util::ByteReader;
using rtc::util::ByteWriter;

TEST_CASE("bytes: reader decodes big-endian integers and spans") {
    const std::array<uint8_t, 17> data = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
                                          0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11};
    ByteReader r(data);
    CHECK(r.read_u8() == 0x01);
    CHECK(r.read_u16() == 0x0203);
    CHECK(r.read_u32() == 0x04050607u);
    CHECK(r.read_u64() == 0x08090a0b0c0d0e0full);
    CHECK(r.position() == 15);
    auto s = r.read_bytes(2);
    REQUIRE(s.size() == 2);
    CHECK(s[0] == 0x10);
    CHECK(r.remaining() == 0);
    CHECK(r.ok());
}

TEST_CASE("bytes: reader failure is sticky and never reads past the end") {
    const std::array<uint8_t, 3> data = {0xaa, 0xbb, 0xcc};
    ByteReader r(data);
    CHECK(r.read_u16() == 0xaabb);
    CHECK(r.read_u32() == 0); // only one byte left
    CHECK(r.failed());
    CHECK(r.read_u8() == 0); // still failed, even though a byte remains
    CHECK(r.read_bytes(1).empty());
    CHECK(r.position() == 2);

    ByteReader r2(data);
    r2.skip(4);
    CHECK(r2.failed());

    ByteReader r3(data);
    std::array<uint8_t, 4> out{1, 1, 1, 1};
    CHECK_FALSE(r3.read_into(out));
    CHECK(out == std::array<uint8_t, 4>{});

    ByteReader empty;
    CHECK(empty.read_u64() == 0);
    CHECK(empty.failed());
}

TEST_CASE("bytes: writer encodes big-endian and patches") {
    std::array<uint8_t, 16> buf{};
    ByteWriter w(buf);
    w.write_u16(0); // placeholder
    w.write_u8(0x11);
    w.write_u32(0x22334455u);
    w.write_string("ab");
    w.pad_to(4, 0xee);
    CHECK(w.position() == 12);
    w.patch_u16(0, static_cast<uint16_t>(w.position()));
    CHECK(w.ok());
    const std::vector<uint8_t> expected = {0x00, 0x0c, 0x11, 0x22, 0x33, 0x44,
                                           0x55, 'a',  'b',  0xee, 0xee, 0xee};
    CHECK(std::vector<uint8_t>(w.written().begin(), w.written().end()) == expected);
    w.write_u64(1); // 8 bytes into 4 left
    CHECK(w.failed());
    CHECK(w.position() == 12);
}

TEST_CASE("bytes: writer overflow and bad patches set the failure flag") {
    std::array<uint8_t, 5> buf{};
    ByteWriter w(buf);
    w.write_u32(0xdeadbeef);
    CHECK(w.ok());
    w.write_u16(1);
    CHECK(w.failed());
    w.write_u8(1); // would fit, but failure is sticky
    CHECK(w.position() == 4);

    ByteWriter w2(buf);
    w2.write_u16(7);
    w2.patch_u32(0, 1); // only 2 bytes written
    CHECK(w2.failed());

    ByteWriter w3(buf);
    CHECK(w3.reserve(6).empty());
    CHECK(w3.failed());
    ByteWriter w4(buf);
    auto slot = w4.reserve(2);
    CHECK(slot.size() == 2);
    w4.write_fill(3, 0x7f);
    CHECK(w4.ok());
    CHECK(buf[4] == 0x7f);
}

#pragma once
// Bounds-checked big-endian (network order) readers and writers over caller-owned memory.
// Neither throws nor allocates: a read or write that does not fit sets a sticky failure flag,
// reads then return zeros / empty spans and writes become no-ops, so a codec can do a run of
// reads and check ok() once at the end.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace rtc::util {

class ByteReader {
public:
    ByteReader() = default;
    explicit ByteReader(std::span<const uint8_t> data) : data_(data) {}

    uint8_t read_u8() {
        if (!require(1))
            return 0;
        return data_[pos_++];
    }
    uint16_t read_u16() {
        if (!require(2))
            return 0;
        uint16_t v = static_cast<uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
        pos_ += 2;
        return v;
    }
    uint32_t read_u32() {
        if (!require(4))
            return 0;
        uint32_t v = (uint32_t{data_[pos_]} << 24) | (uint32_t{data_[pos_ + 1]} << 16) |
                     (uint32_t{data_[pos_ + 2]} << 8) | uint32_t{data_[pos_ + 3]};
        pos_ += 4;
        return v;
    }
    uint64_t read_u64() {
        uint64_t hi = read_u32();
        uint64_t lo = read_u32();
        return ok() ? (hi << 32) | lo : 0;
    }
    // A view of the next n bytes (empty on failure).
    std::span<const uint8_t> read_bytes(std::size_t n) {
        if (!require(n))
            return {};
        auto s = data_.subspan(pos_, n);
        pos_ += n;
        return s;
    }
    // Copies exactly out.size() bytes; zero-fills out on failure.
    bool read_into(std::span<uint8_t> out) {
        auto s = read_bytes(out.size());
        if (s.size() != out.size()) {
            std::memset(out.data(), 0, out.size());
            return false;
        }
        if (!s.empty())
            std::memcpy(out.data(), s.data(), s.size());
        return true;
    }
    void skip(std::size_t n) {
        if (require(n))
            pos_ += n;
    }

    std::size_t position() const { return pos_; }
    std::size_t remaining() const { return data_.size() - pos_; }
    std::span<const uint8_t> rest() const { return data_.subspan(pos_); }
    bool ok() const { return !failed_; }
    bool failed() const { return failed_; }

private:
    bool require(std::size_t n) {
        if (failed_ || n > data_.size() - pos_) {
            failed_ = true;
            return false;
        }
        return true;
    }

    std::span<const uint8_t> data_;
    std::size_t pos_ = 0;
    bool failed_ = false;
};

class ByteWriter {
public:
    ByteWriter() = default;
    explicit ByteWriter(std::span<uint8_t> buffer) : buf_(buffer) {}

    void write_u8(uint8_t v) {
        if (require(1))
            buf_[pos_++] = v;
    }
    void write_u16(uint16_t v) {
        if (!require(2))
            return;
        buf_[pos_] = static_cast<uint8_t>(v >> 8);
        buf_[pos_ + 1] = static_cast<uint8_t>(v);
        pos_ += 2;
    }
    void write_u32(uint32_t v) {
        if (!require(4))
            return;
        store_u32(pos_, v);
        pos_ += 4;
    }
    void write_u64(uint64_t v) {
        if (!require(8))
            return;
        store_u32(pos_, static_cast<uint32_t>(v >> 32));
        store_u32(pos_ + 4, static_cast<uint32_t>(v));
        pos_ += 8;
    }
    void write_bytes(std::span<const uint8_t> bytes) {
        if (!require(bytes.size()))
            return;
        if (!bytes.empty())
            std::memcpy(buf_.data() + pos_, bytes.data(), bytes.size());
        pos_ += bytes.size();
    }
    void write_string(std::string_view s) {
        write_bytes({reinterpret_cast<const uint8_t *>(s.data()), s.size()});
    }
    void write_fill(std::size_t n, uint8_t value = 0) {
        if (!require(n))
            return;
        if (n != 0)
            std::memset(buf_.data() + pos_, value, n);
        pos_ += n;
    }
    // Pads with `value` up to the next multiple of `alignment` (a power of two).
    void pad_to(std::size_t alignment, uint8_t value = 0) {
        write_fill((alignment - (pos_ & (alignment - 1))) & (alignment - 1), value);
    }
    // Reserves n bytes to be filled in later; empty span on failure.
    std::span<uint8_t> reserve(std::size_t n) {
        if (!require(n))
            return {};
        auto s = buf_.subspan(pos_, n);
        pos_ += n;
        return s;
    }
    // Overwrite already-written bytes (e.g. a length field). Fails if [at, at+n) is not written.
    void patch_u16(std::size_t at, uint16_t v) {
        if (failed_ || at > pos_ || pos_ - at < 2) {
            failed_ = true;
            return;
        }
        buf_[at] = static_cast<uint8_t>(v >> 8);
        buf_[at + 1] = static_cast<uint8_t>(v);
    }
    void patch_u32(std::size_t at, uint32_t v) {
        if (failed_ || at > pos_ || pos_ - at < 4) {
            failed_ = true;
            return;
        }
        store_u32(at, v);
    }

    std::size_t position() const { return pos_; }
    std::size_t remaining() const { return buf_.size() - pos_; }
    std::size_t capacity() const { return buf_.size(); }
    // The bytes written so far.
    std::span<uint8_t> written() const { return buf_.first(pos_); }
    bool ok() const { return !failed_; }
    bool failed() const { return failed_; }

private:
    bool require(std::size_t n) {
        if (failed_ || n > buf_.size() - pos_) {
            failed_ = true;
            return false;
        }
        return true;
    }
    void store_u32(std::size_t at, uint32_t v) {
        buf_[at] = static_cast<uint8_t>(v >> 24);
        buf_[at + 1] = static_cast<uint8_t>(v >> 16);
        buf_[at + 2] = static_cast<uint8_t>(v >> 8);
        buf_[at + 3] = static_cast<uint8_t>(v);
    }

    std::span<uint8_t> buf_;
    std::size_t pos_ = 0;
    bool failed_ = false;
};

// Free helpers for fixed offsets into a buffer the caller has already bounds-checked.
inline uint16_t load_u16(const uint8_t *p) {
    return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
inline uint32_t load_u32(const uint8_t *p) {
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
inline void store_u16(uint8_t *p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}
inline void store_u32(uint8_t *p, uint32_t v) {
    p[0] = static_cast<uint8_t>(v >> 24);
    p[1] = static_cast<uint8_t>(v >> 16);
    p[2] = static_cast<uint8_t>(v >> 8);
    p[3] = static_cast<uint8_t>(v);
}

// View text as bytes and back, without copying.
inline std::span<const uint8_t> as_bytes(std::string_view s) {
    return {reinterpret_cast<const uint8_t *>(s.data()), s.size()};
}
inline std::string_view as_string_view(std::span<const uint8_t> b) {
    return {reinterpret_cast<const char *>(b.data()), b.size()};
}

} // namespace rtc::util

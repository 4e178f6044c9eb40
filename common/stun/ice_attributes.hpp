#pragma once
// ICE attributes of RFC 8445 §16.1.
#include "stun/attribute_types.hpp"
#include "util/bytes.hpp"

#include <cstdint>
#include <optional>
#include <span>

namespace rtc::stun {

// RFC 8445 §16.1: 32-bit candidate priority.
struct Priority {
    static constexpr uint16_t kType = attr::kPriority;
    uint32_t value = 0;
    static std::optional<Priority> parse(std::span<const uint8_t> value);
    bool serialize(util::ByteWriter &w) const;
    bool operator==(const Priority &) const = default;
};

// RFC 8445 §16.1: no value.
struct UseCandidate {
    static constexpr uint16_t kType = attr::kUseCandidate;
    static std::optional<UseCandidate> parse(std::span<const uint8_t> value);
    bool serialize(util::ByteWriter &w) const;
    bool operator==(const UseCandidate &) const = default;
};

// RFC 8445 §16.1: 64-bit tie-breaker, one type per role.
template <uint16_t Type> struct IceRole {
    static constexpr uint16_t kType = Type;
    uint64_t tie_breaker = 0;
    static std::optional<IceRole> parse(std::span<const uint8_t> value) {
        if (value.size() != 8)
            return std::nullopt;
        util::ByteReader r(value);
        return IceRole{r.read_u64()};
    }
    bool serialize(util::ByteWriter &w) const {
        w.write_u64(tie_breaker);
        return w.ok();
    }
    bool operator==(const IceRole &) const = default;
};
using IceControlled = IceRole<attr::kIceControlled>;
using IceControlling = IceRole<attr::kIceControlling>;

} // namespace rtc::stun

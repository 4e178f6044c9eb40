#include "stun/ice_attributes.hpp"

namespace rtc::stun {

std::optional<Priority> Priority::parse(std::span<const uint8_t> value) {
    if (value.size() != 4)
        return std::nullopt;
    return Priority{util::load_u32(value.data())};
}
bool Priority::serialize(util::ByteWriter &w) const {
    w.write_u32(value);
    return w.ok();
}

std::optional<UseCandidate> UseCandidate::parse(std::span<const uint8_t> value) {
    if (!value.empty())
        return std::nullopt;
    return UseCandidate{};
}
bool UseCandidate::serialize(util::ByteWriter &w) const {
    return w.ok();
}

} // namespace rtc::stun

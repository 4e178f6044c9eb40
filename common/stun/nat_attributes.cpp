#include "stun/nat_attributes.hpp"

namespace rtc::stun {

std::optional<ChangeRequest> ChangeRequest::parse(std::span<const uint8_t> value) {
    if (value.size() != 4)
        return std::nullopt;
    uint32_t flags = util::load_u32(value.data());
    return ChangeRequest{(flags & kChangeIp) != 0, (flags & kChangePort) != 0};
}
bool ChangeRequest::serialize(util::ByteWriter &w) const {
    w.write_u32((change_ip ? kChangeIp : 0) | (change_port ? kChangePort : 0));
    return w.ok();
}

std::optional<ResponsePort> ResponsePort::parse(std::span<const uint8_t> value) {
    if (value.size() != 4)
        return std::nullopt;
    return ResponsePort{util::load_u16(value.data())};
}
bool ResponsePort::serialize(util::ByteWriter &w) const {
    w.write_u16(port);
    w.write_u16(0);
    return w.ok();
}

std::optional<Padding> Padding::parse(std::span<const uint8_t> value) {
    return Padding{value.size()};
}
bool Padding::serialize(util::ByteWriter &w) const {
    if (length > 0xFFFF)
        return false;
    w.write_fill(length, 0);
    return w.ok();
}

} // namespace rtc::stun

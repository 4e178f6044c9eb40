#include "turn/nonce.hpp"

#include "crypto/constant_time.hpp"
#include "crypto/hash.hpp"
#include "util/bytes.hpp"

namespace rtc::turn {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::size_t kPayload = 24; // time(4) || mac(20): 32 base64url characters, no padding

int decode_char(char c) {
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

// Base64url (RFC 4648 §5) of a multiple of 3 bytes.
void encode(std::span<const uint8_t, kPayload> in, char* out) {
    for (std::size_t i = 0; i < kPayload; i += 3) {
        uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8) | in[i + 2];
        *out++ = kAlphabet[(v >> 18) & 63];
        *out++ = kAlphabet[(v >> 12) & 63];
        *out++ = kAlphabet[(v >> 6) & 63];
        *out++ = kAlphabet[v & 63];
    }
}

bool decode(std::string_view in, std::span<uint8_t, kPayload> out) {
    if (in.size() != kPayload / 3 * 4)
        return false;
    for (std::size_t i = 0, o = 0; i < in.size(); i += 4, o += 3) {
        uint32_t v = 0;
        for (std::size_t j = 0; j < 4; ++j) {
            int d = decode_char(in[i + j]);
            if (d < 0)
                return false;
            v = (v << 6) | static_cast<uint32_t>(d);
        }
        out[o] = static_cast<uint8_t>(v >> 16);
        out[o + 1] = static_cast<uint8_t>(v >> 8);
        out[o + 2] = static_cast<uint8_t>(v);
    }
    return true;
}

uint32_t seconds_of(NonceManager::Clock::time_point t) {
    return static_cast<uint32_t>(
        std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
}

} // namespace

NonceManager::NonceManager(const Key& key, std::chrono::seconds lifetime)
    : key_(key), lifetime_(lifetime) {}

std::array<uint8_t, 20> NonceManager::mac(const util::Endpoint& source, uint32_t time) const {
    crypto::HmacSha256 h(key_);
    uint8_t head[7];
    head[0] = static_cast<uint8_t>(source.address.family());
    util::store_u16(head + 1, source.port);
    util::store_u32(head + 3, time);
    h.update(head);
    h.update(std::span(source.address.data(), source.address.size()));
    auto full = h.finish();
    std::array<uint8_t, 20> out;
    std::copy_n(full.begin(), out.size(), out.begin());
    return out;
}

std::string_view NonceManager::issue(const util::Endpoint& source, Clock::time_point now,
                                     std::span<char, kNonceLength> out) const {
    uint32_t t = seconds_of(now);
    std::array<uint8_t, kPayload> payload;
    util::store_u32(payload.data(), t);
    auto m = mac(source, t);
    std::copy(m.begin(), m.end(), payload.begin() + 4);
    char* p = out.data();
    p = std::copy(kNonceCookie.begin(), kNonceCookie.end(), p);
    p = std::copy(kNonceFeatures.begin(), kNonceFeatures.end(), p);
    encode(payload, p);
    return {out.data(), out.size()};
}

NonceStatus NonceManager::check(std::string_view nonce, const util::Endpoint& source,
                                Clock::time_point now) const {
    std::size_t head = kNonceCookie.size() + kNonceFeatures.size();
    if (nonce.size() != kNonceLength || nonce.substr(0, kNonceCookie.size()) != kNonceCookie ||
        nonce.substr(kNonceCookie.size(), kNonceFeatures.size()) != kNonceFeatures)
        return NonceStatus::Invalid;
    std::array<uint8_t, kPayload> payload;
    if (!decode(nonce.substr(head), payload))
        return NonceStatus::Invalid;
    uint32_t t = util::load_u32(payload.data());
    auto m = mac(source, t);
    if (!crypto::constant_time_equal(m, std::span(payload).subspan(4)))
        return NonceStatus::Invalid;
    uint32_t current = seconds_of(now);
    if (t > current)
        return NonceStatus::Invalid; // issued in the future: not one of ours
    if (current - t >= static_cast<uint64_t>(lifetime_.count()))
        return NonceStatus::Stale;
    return NonceStatus::Valid;
}

} // namespace rtc::turn

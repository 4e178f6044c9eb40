#include "stun/credentials.hpp"

#include "util/bytes.hpp"
#include "util/utf8.hpp"

namespace rtc::stun {

namespace {

// RFC 8264 §9.11 (Controls): Cc.
bool is_control(char32_t c) {
    return c < 0x20 || (c >= 0x7F && c <= 0x9F);
}

// Unicode Zs other than U+0020: mapped to U+0020 by OpaqueString (RFC 8265 §4.2.1 step 1).
bool is_non_ascii_space(char32_t c) {
    return c == 0x00A0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x202F ||
           c == 0x205F || c == 0x3000;
}

// RFC 8264 §9.13 Ignorable: Default_Ignorable_Code_Point (Unicode 15 DerivedCoreProperties)
// and noncharacters.
bool is_ignorable(char32_t c) {
    if ((c >= 0xFDD0 && c <= 0xFDEF) || (c & 0xFFFE) == 0xFFFE)
        return true; // noncharacters
    return c == 0x00AD || c == 0x034F || c == 0x061C || (c >= 0x115F && c <= 0x1160) ||
           (c >= 0x17B4 && c <= 0x17B5) || (c >= 0x180B && c <= 0x180F) ||
           (c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E) ||
           (c >= 0x2060 && c <= 0x206F) || c == 0x3164 || (c >= 0xFE00 && c <= 0xFE0F) ||
           c == 0xFEFF || c == 0xFFA0 || (c >= 0xFFF0 && c <= 0xFFF8) ||
           (c >= 0x1BCA0 && c <= 0x1BCA3) || (c >= 0x1D173 && c <= 0x1D17A) ||
           (c >= 0xE0000 && c <= 0xE0FFF);
}

// RFC 8264 §9.9 OldHangulJamo: Hangul_Syllable_Type L, V or T.
bool is_conjoining_jamo(char32_t c) {
    return (c >= 0x1100 && c <= 0x11FF) || (c >= 0xA960 && c <= 0xA97C) ||
           (c >= 0xD7B0 && c <= 0xD7FB);
}

std::string_view strip_trailing_nuls(std::string_view s) {
    while (!s.empty() && s.back() == '\0')
        s.remove_suffix(1);
    return s;
}

template <class Hash>
std::optional<typename Hash::Digest> key_hash(std::string_view username, std::string_view realm,
                                              std::string_view password) {
    auto r = opaque_string(strip_trailing_nuls(realm));
    auto p = opaque_string(strip_trailing_nuls(password));
    if (!r || !p)
        return std::nullopt;
    Hash h;
    h.update(util::as_bytes(strip_trailing_nuls(username)));
    h.update(util::as_bytes(":"));
    h.update(util::as_bytes(*r));
    h.update(util::as_bytes(":"));
    h.update(util::as_bytes(*p));
    return h.finish();
}

} // namespace

std::optional<std::string> opaque_string(std::string_view text) {
    if (text.empty())
        return std::nullopt; // RFC 8265 §4.2.2: zero length is not allowed
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        auto cp = util::decode_utf8(text, i);
        if (!cp)
            return std::nullopt;
        char32_t c = cp->value;
        if (is_control(c) || is_ignorable(c) || is_conjoining_jamo(c))
            return std::nullopt;
        if (is_non_ascii_space(c))
            out.push_back(' ');
        else
            out.append(text.substr(i, cp->length));
        i += cp->length;
    }
    return out;
}

std::optional<std::string> short_term_key(std::string_view password) {
    return opaque_string(password);
}

std::optional<crypto::Md5Digest>
long_term_key_md5(std::string_view username, std::string_view realm, std::string_view password) {
    return key_hash<crypto::Md5>(username, realm, password);
}

std::optional<crypto::Sha256Digest>
long_term_key_sha256(std::string_view username, std::string_view realm, std::string_view password) {
    return key_hash<crypto::Sha256>(username, realm, password);
}

std::optional<crypto::Sha256Digest> userhash(std::string_view username, std::string_view realm) {
    auto u = opaque_string(username);
    auto r = opaque_string(realm);
    if (!u || !r)
        return std::nullopt;
    crypto::Sha256 h;
    h.update(util::as_bytes(*u));
    h.update(util::as_bytes(":"));
    h.update(util::as_bytes(*r));
    return h.finish();
}

} // namespace rtc::stun

// srtp::Session against an independent RFC 3711 computation (AES-CM + HMAC-SHA1 from mbedTLS),
// plus replay, tampering, retransmission and malformed input.
#include "srtp/session.hpp"

#include <doctest/doctest.h>
#include <mbedtls/aes.h>
#include <mbedtls/md.h>

#include <array>
#include <cstring>
#include <string>
#include <vector>

using rtc::srtp::Role;
using rtc::srtp::Session;
using rtc::srtp::SrtpKeyingMaterial;
using rtc::srtp::SrtpProfile;

namespace {

std::vector<uint8_t> unhex(std::string_view s) {
    std::vector<uint8_t> out;
    for (std::size_t i = 0; i + 1 < s.size(); i += 2)
        out.push_back(static_cast<uint8_t>(std::stoi(std::string(s.substr(i, 2)), nullptr, 16)));
    return out;
}

// RFC 3711 §4.1.1 AES counter mode keystream starting at the 16-byte block `iv`.
std::vector<uint8_t> aes_cm(std::span<const uint8_t> key, std::array<uint8_t, 16> iv,
                            std::size_t n) {
    mbedtls_aes_context aes;
    mbedtls_aes_init(&aes);
    REQUIRE(mbedtls_aes_setkey_enc(&aes, key.data(), 128) == 0);
    std::vector<uint8_t> out;
    while (out.size() < n) {
        std::array<uint8_t, 16> block;
        REQUIRE(mbedtls_aes_crypt_ecb(&aes, MBEDTLS_AES_ENCRYPT, iv.data(), block.data()) == 0);
        out.insert(out.end(), block.begin(), block.end());
        for (int i = 15; i >= 14; --i) // the 16-bit block counter
            if (++iv[i] != 0)
                break;
    }
    mbedtls_aes_free(&aes);
    out.resize(n);
    return out;
}

// RFC 3711 §4.3.1 with key_derivation_rate 0: PRF(master key, (label << 48) XOR salt).
std::vector<uint8_t> derive(std::span<const uint8_t> master_key, std::span<const uint8_t> salt,
                            uint8_t label, std::size_t n) {
    std::array<uint8_t, 16> iv{};
    std::memcpy(iv.data(), salt.data(), 14);
    iv[7] ^= label;
    return aes_cm(master_key, iv, n);
}

std::vector<uint8_t> hmac_sha1(std::span<const uint8_t> key, std::span<const uint8_t> data) {
    std::vector<uint8_t> out(20);
    REQUIRE(mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA1), key.data(), key.size(),
                            data.data(), data.size(), out.data()) == 0);
    return out;
}

// SRTP protection of `packet` (12-byte header, no CSRC/extension, ROC 0), RFC 3711 §3.3.
std::vector<uint8_t> reference_srtp(std::span<const uint8_t> master_key,
                                    std::span<const uint8_t> master_salt,
                                    std::vector<uint8_t> packet, std::size_t tag_size) {
    const auto k_e = derive(master_key, master_salt, 0x00, 16);
    const auto k_a = derive(master_key, master_salt, 0x01, 20);
    const auto k_s = derive(master_key, master_salt, 0x02, 14);
    // IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16), i = ROC * 2^16 + SEQ.
    std::array<uint8_t, 16> iv{};
    std::memcpy(iv.data(), k_s.data(), 14);
    for (int b = 0; b < 4; ++b)
        iv[4 + b] ^= packet[8 + b];
    iv[12] ^= packet[2];
    iv[13] ^= packet[3];
    const auto ks = aes_cm(k_e, iv, packet.size() - 12);
    for (std::size_t i = 12; i < packet.size(); ++i)
        packet[i] ^= ks[i - 12];
    // Authentication tag: HMAC-SHA1(k_a, authenticated portion ‖ ROC) truncated (§4.2).
    std::vector<uint8_t> auth = packet;
    auth.insert(auth.end(), {0, 0, 0, 0});
    const auto tag = hmac_sha1(k_a, auth);
    packet.insert(packet.end(), tag.begin(), tag.begin() + static_cast<std::ptrdiff_t>(tag_size));
    return packet;
}

SrtpKeyingMaterial test_keys(SrtpProfile profile) {
    SrtpKeyingMaterial k;
    k.profile = profile;
    for (std::size_t i = 0; i < k.client_key.size(); ++i) {
        k.client_key[i] = static_cast<uint8_t>(0x10 + i);
        k.server_key[i] = static_cast<uint8_t>(0x80 + i);
    }
    for (std::size_t i = 0; i < k.client_salt.size(); ++i) {
        k.client_salt[i] = static_cast<uint8_t>(0x30 + i);
        k.server_salt[i] = static_cast<uint8_t>(0xA0 + i);
    }
    return k;
}

std::vector<uint8_t> rtp_packet(uint32_t ssrc, uint16_t seq, std::size_t payload) {
    std::vector<uint8_t> p = {0x80,
                              0x6F,
                              uint8_t(seq >> 8),
                              uint8_t(seq),
                              0x00,
                              0x01,
                              0xE2,
                              0x40,
                              uint8_t(ssrc >> 24),
                              uint8_t(ssrc >> 16),
                              uint8_t(ssrc >> 8),
                              uint8_t(ssrc)};
    for (std::size_t i = 0; i < payload; ++i)
        p.push_back(uint8_t(0x55 ^ i));
    return p;
}

// Copies `packet` into `buf` and protects it; the protected bytes, empty on failure.
std::vector<uint8_t> protect(Session& s, const std::vector<uint8_t>& packet, bool rtcp = false) {
    std::array<uint8_t, 1500> buf{};
    std::copy(packet.begin(), packet.end(), buf.begin());
    std::size_t len = packet.size();
    const bool ok = rtcp ? s.protect_rtcp(buf, len) : s.protect_rtp(buf, len);
    if (!ok)
        return {};
    return {buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(len)};
}

// Unprotects a copy of `packet`; the plaintext, or nullopt on failure.
std::optional<std::vector<uint8_t>> unprotect(Session& s, const std::vector<uint8_t>& packet,
                                              bool rtcp = false) {
    std::vector<uint8_t> buf = packet;
    std::size_t len = buf.size();
    const bool ok = rtcp ? s.unprotect_rtcp(buf, len) : s.unprotect_rtp(buf, len);
    if (!ok)
        return std::nullopt;
    buf.resize(len);
    return buf;
}

} // namespace

TEST_CASE("srtp: the reference key derivation matches RFC 3711 appendix B.3") {
    const auto key = unhex("E1F97A0D3E018BE0D64FA32C06DE4139");
    const auto salt = unhex("0EC675AD498AFEEBB6960B3AABE6");
    CHECK(derive(key, salt, 0x00, 16) == unhex("C61E7A93744F39EE10734AFE3FF7A087"));
    CHECK(derive(key, salt, 0x02, 14) == unhex("30CBBC08863D8C85D49DB34A9AE1"));
    CHECK(derive(key, salt, 0x01, 20) == unhex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4"));
}

TEST_CASE("srtp: protect_rtp equals RFC 3711 computed by hand, each role with its own key") {
    for (auto profile : {SrtpProfile::Aes128CmHmacSha1_80, SrtpProfile::Aes128CmHmacSha1_32}) {
        const std::size_t tag = profile == SrtpProfile::Aes128CmHmacSha1_80 ? 10 : 4;
        const auto keys = test_keys(profile);
        Session server(keys, Role::DtlsServer);
        Session client(keys, Role::DtlsClient);
        CHECK(server.profile() == profile);
        const auto packet = rtp_packet(0xCAFEBABE, 4242, 100);
        // RFC 5764 §4.2: the DTLS server writes with server_write_SRTP_master_key/salt.
        CHECK(protect(server, packet) ==
              reference_srtp(keys.server_key, keys.server_salt, packet, tag));
        CHECK(protect(client, packet) ==
              reference_srtp(keys.client_key, keys.client_salt, packet, tag));
    }
}

TEST_CASE("srtp: RTCP always carries the 80-bit tag, also with the _32 profile") {
    Session a(test_keys(SrtpProfile::Aes128CmHmacSha1_32), Role::DtlsServer);
    Session b(test_keys(SrtpProfile::Aes128CmHmacSha1_32), Role::DtlsClient);
    // A PLI (RFC 4585 §6.3.1): sender SSRC, media SSRC.
    const std::vector<uint8_t> pli = {0x81, 206, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8};
    const auto sealed = protect(a, pli, true);
    REQUIRE(sealed.size() == pli.size() + 4 + 10); // RFC 3711 §3.4: E|index, tag
    CHECK((sealed[pli.size()] & 0x80) != 0);       // E flag: the payload is encrypted
    CHECK(unprotect(b, sealed, true) == pli);
    const auto rtp = protect(a, rtp_packet(1, 1, 20));
    CHECK(rtp.size() == 12 + 20 + 4);
}

TEST_CASE("srtp: a tampered byte fails authentication and a replay is refused") {
    const auto keys = test_keys(SrtpProfile::Aes128CmHmacSha1_80);
    Session sender(keys, Role::DtlsClient);
    Session receiver(keys, Role::DtlsServer);
    const auto packet = rtp_packet(0x01020304, 7, 60);
    const auto sealed = protect(sender, packet);
    REQUIRE_FALSE(sealed.empty());
    for (std::size_t at : {std::size_t{2}, std::size_t{20}, sealed.size() - 1}) {
        auto bad = sealed;
        bad[at] ^= 0x01;
        CHECK_FALSE(unprotect(receiver, bad).has_value());
    }
    CHECK(unprotect(receiver, sealed) == packet);         // the genuine one still passes
    CHECK_FALSE(unprotect(receiver, sealed).has_value()); // RFC 3711 §3.3.2 replay

    const std::vector<uint8_t> rr = {0x80, 201, 0, 1, 1, 2, 3, 4};
    const auto sealed_rr = protect(sender, rr, true);
    auto bad_rr = sealed_rr;
    bad_rr[5] ^= 0x80;
    CHECK_FALSE(unprotect(receiver, bad_rr, true).has_value());
    CHECK(unprotect(receiver, sealed_rr, true) == rr);
    CHECK_FALSE(unprotect(receiver, sealed_rr, true).has_value());

    // Far behind the 1024-packet window: refused even though never seen.
    const auto old = protect(sender, rtp_packet(0x01020304, 8, 10));
    CHECK(unprotect(receiver, protect(sender, rtp_packet(0x01020304, 3000, 10))).has_value());
    CHECK_FALSE(unprotect(receiver, old).has_value());
}

TEST_CASE("srtp: outbound repeats a sequence number (NACK) and keeps SSRCs apart") {
    const auto keys = test_keys(SrtpProfile::Aes128CmHmacSha1_80);
    Session sfu(keys, Role::DtlsServer);
    Session peer(keys, Role::DtlsClient);
    const auto packet = rtp_packet(0xAAAA0001, 500, 80);
    const auto first = protect(sfu, packet);
    const auto again = protect(sfu, packet); // allow_repeat_tx
    REQUIRE_FALSE(first.empty());
    CHECK(first == again);
    CHECK(unprotect(peer, first) == packet);
    CHECK_FALSE(unprotect(peer, again).has_value()); // the receiver still drops duplicates
    // Many SSRCs through one session, the same sequence number each: no cross-talk.
    for (uint32_t ssrc = 1; ssrc <= 50; ++ssrc) {
        const auto p = rtp_packet(ssrc * 0x01010101u, 500, 30);
        CHECK(unprotect(peer, protect(sfu, p)) == p);
    }
}

TEST_CASE("srtp: remove_ssrc forgets a stream's replay state") {
    const auto keys = test_keys(SrtpProfile::Aes128CmHmacSha1_80);
    Session sender(keys, Role::DtlsServer);
    Session receiver(keys, Role::DtlsClient);
    const auto packet = rtp_packet(77, 9, 10);
    const auto sealed = protect(sender, packet);
    CHECK(unprotect(receiver, sealed) == packet);
    CHECK_FALSE(unprotect(receiver, sealed).has_value());
    receiver.remove_ssrc(77);
    receiver.remove_ssrc(12345); // unknown: ignored
    CHECK(unprotect(receiver, sealed) == packet);
}

TEST_CASE("srtp: malformed input and short buffers are refused without reading past them") {
    const auto keys = test_keys(SrtpProfile::Aes128CmHmacSha1_80);
    Session s(keys, Role::DtlsServer);
    std::array<uint8_t, 256> buf{};
    std::size_t len = 0;
    CHECK_FALSE(s.protect_rtp(buf, len));
    CHECK_FALSE(s.unprotect_rtp(buf, len));
    CHECK_FALSE(s.protect_rtcp(buf, len));
    CHECK_FALSE(s.unprotect_rtcp(buf, len));
    // Longer than the buffer.
    len = buf.size() + 1;
    CHECK_FALSE(s.unprotect_rtp(buf, len));
    CHECK(len == buf.size() + 1);
    // Version 1, or a CSRC count / extension length beyond the packet.
    auto p = rtp_packet(1, 1, 4);
    p[0] = 0x40;
    std::copy(p.begin(), p.end(), buf.begin());
    len = p.size();
    CHECK_FALSE(s.protect_rtp(buf, len));
    p[0] = 0x8F; // 15 CSRCs in 16 bytes
    std::copy(p.begin(), p.end(), buf.begin());
    CHECK_FALSE(s.protect_rtp(buf, len));
    CHECK_FALSE(s.unprotect_rtp(buf, len));
    p = rtp_packet(1, 1, 4);
    p[0] = 0x90; // extension header 0xBEDE with length 200 words
    p[12] = 0xBE, p[13] = 0xDE, p[14] = 0, p[15] = 200;
    std::copy(p.begin(), p.end(), buf.begin());
    len = p.size();
    CHECK_FALSE(s.protect_rtp(buf, len));
    // No room for the trailer.
    p = rtp_packet(1, 1, 100);
    std::vector<uint8_t> tight(p.size() + Session::kMaxTrailer - 1);
    std::copy(p.begin(), p.end(), tight.begin());
    len = p.size();
    CHECK_FALSE(s.protect_rtp(tight, len));
    CHECK(len == p.size());
    tight.resize(p.size() + Session::kMaxTrailer);
    CHECK(s.protect_rtp(tight, len));
    CHECK(len == p.size() + 10);
    // RTCP shorter than header + index + tag.
    const std::vector<uint8_t> rr = {0x80, 201, 0, 1, 1, 2, 3, 4, 0x80, 0, 0};
    std::copy(rr.begin(), rr.end(), buf.begin());
    len = rr.size();
    CHECK_FALSE(s.unprotect_rtcp(buf, len));
}

TEST_CASE("srtp: sessions move, and a moved-from session refuses to work") {
    const auto keys = test_keys(SrtpProfile::Aes128CmHmacSha1_80);
    Session a(keys, Role::DtlsServer);
    Session b(keys, Role::DtlsClient);
    Session moved(std::move(a));
    const auto packet = rtp_packet(5, 5, 5);
    CHECK(unprotect(b, protect(moved, packet)) == packet);
    CHECK(protect(a, packet).empty()); // NOLINT(bugprone-use-after-move): defined as refusing
    Session c(keys, Role::DtlsServer);
    c = std::move(moved);
    CHECK(unprotect(b, protect(c, rtp_packet(5, 6, 5))) == rtp_packet(5, 6, 5));
}

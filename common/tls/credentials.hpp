#pragma once
// A certificate chain and its private key, loaded from PEM or generated (`--cert auto`).
// Immutable once built, so one instance can serve every thread and every live session.
//
//   auto creds = rtc::tls::Credentials::load_pem_files("cert.pem", "key.pem");
//   auto test = rtc::tls::Credentials::self_signed(std::chrono::system_clock::now());
//   std::string fp = creds->fingerprint_sha256();   // "AB:CD:..." (RFC 8122 §5)
//
// Both factories throw std::runtime_error with a one-line reason on failure.
#include "util/ip_address.hpp"

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct mbedtls_x509_crt;
struct mbedtls_pk_context;

namespace rtc::tls {

struct SelfSignedOptions {
    std::string common_name = "localhost";
    std::vector<std::string> dns_names = {"localhost"};
    std::vector<util::IpAddress> ip_addresses = {util::IpAddress::loopback(util::Family::V4),
                                                 util::IpAddress::loopback(util::Family::V6)};
    std::chrono::hours validity{24 * 30};
};

// SHA-256 of `der` as colon-separated upper-case hex, "AB:CD:..." (RFC 8122 §5).
std::string fingerprint_sha256(std::span<const uint8_t> der);
// Whether two "AB:CD:..." fingerprints are the same, ignoring letter case (RFC 8122 §5 writes
// upper case, some peers send lower case). Empty never matches.
bool same_fingerprint(std::string_view a, std::string_view b);

class Credentials {
public:
    // The leaf certificate first, then intermediates; the key must match the leaf.
    static std::shared_ptr<const Credentials> from_pem(std::string_view chain_pem,
                                                       std::string_view key_pem);
    static std::shared_ptr<const Credentials> load_pem_files(const std::string& chain_file,
                                                             const std::string& key_file);
    // ECDSA P-256, valid from `now` - 1 h to `now` + validity (the time is a parameter so this
    // core reads no clock).
    static std::shared_ptr<const Credentials> self_signed(std::chrono::system_clock::time_point now,
                                                          const SelfSignedOptions& options = {});

    ~Credentials();
    Credentials(const Credentials&) = delete;
    Credentials& operator=(const Credentials&) = delete;

    // For mbedtls_ssl_conf_own_cert / mbedtls_ssl_conf_ca_chain (mbedTLS wants non-const).
    mbedtls_x509_crt* chain() const;
    mbedtls_pk_context* key() const;
    // The chain as PEM text (e.g. to hand a self-signed certificate to a client as trust anchor).
    const std::string& chain_pem() const { return chain_pem_; }
    // SHA-256 of the leaf's DER as colon-separated upper-case hex (RFC 8122 §5, RFC 4572).
    std::string fingerprint_sha256() const;
    std::string subject() const;

    struct Parts;
    explicit Credentials(std::unique_ptr<Parts> parts, std::string chain_pem);

private:
    std::unique_ptr<Parts> parts_;
    std::string chain_pem_;
};

} // namespace rtc::tls

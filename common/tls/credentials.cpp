#include "tls/credentials.hpp"

#include "tls/rng.hpp"

#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>
#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace rtc::tls {

struct Credentials::Parts {
    mbedtls_x509_crt crt;
    mbedtls_pk_context key;
    Parts() {
        mbedtls_x509_crt_init(&crt);
        mbedtls_pk_init(&key);
    }
    ~Parts() {
        mbedtls_pk_free(&key);
        mbedtls_x509_crt_free(&crt);
    }
    Parts(const Parts&) = delete;
    Parts& operator=(const Parts&) = delete;
};

namespace {

std::string mbedtls_message(int code) {
    char buf[160] = {};
    mbedtls_strerror(code, buf, sizeof(buf));
    return buf;
}

[[noreturn]] void fail(const std::string& what, int code) {
    throw std::runtime_error(what + ": " + mbedtls_message(code));
}

// mbedTLS lazily caches a precomputed table in the key's EC group on the first signature, which
// would race if two threads signed first at once. One signature up front fills the cache, so the
// key is read-only afterwards.
void warm_up_key(mbedtls_pk_context& key) {
    unsigned char hash[32] = {};
    unsigned char sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
    std::size_t sig_len = 0;
    const int rc = mbedtls_pk_sign(&key, MBEDTLS_MD_SHA256, hash, sizeof(hash), sig, &sig_len,
                                   random_callback, nullptr);
    if (rc != 0)
        fail("the private key cannot sign", rc);
}

std::string read_file(const std::string& path, const char* what) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error(std::string("cannot read ") + what + " " + path + ": " +
                                 std::strerror(errno));
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// "YYYYMMDDhhmmss" in UTC, the format mbedtls_x509write_crt_set_validity() wants.
std::string x509_time(std::chrono::system_clock::time_point t) {
    const std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%04d%02d%02d%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

void append_der_length(std::vector<unsigned char>& out, std::size_t len) {
    if (len < 0x80) {
        out.push_back(static_cast<unsigned char>(len));
        return;
    }
    unsigned char bytes[sizeof(std::size_t)];
    std::size_t n = 0;
    for (std::size_t v = len; v != 0; v >>= 8)
        bytes[n++] = static_cast<unsigned char>(v & 0xff);
    out.push_back(static_cast<unsigned char>(0x80 | n));
    while (n > 0)
        out.push_back(bytes[--n]);
}

// SubjectAltName ::= GeneralNames ::= SEQUENCE OF GeneralName (RFC 5280 §4.2.1.6):
// dNSName [2] IA5String, iPAddress [7] OCTET STRING, both implicitly tagged.
std::vector<unsigned char> subject_alt_name(const SelfSignedOptions& options) {
    std::vector<unsigned char> names;
    for (const auto& dns : options.dns_names) {
        names.push_back(0x82);
        append_der_length(names, dns.size());
        names.insert(names.end(), dns.begin(), dns.end());
    }
    for (const auto& ip : options.ip_addresses) {
        names.push_back(0x87);
        append_der_length(names, ip.size());
        names.insert(names.end(), ip.data(), ip.data() + ip.size());
    }
    std::vector<unsigned char> seq{0x30};
    append_der_length(seq, names.size());
    seq.insert(seq.end(), names.begin(), names.end());
    return seq;
}

struct CrtWriter {
    mbedtls_x509write_cert w;
    mbedtls_mpi serial;
    CrtWriter() {
        mbedtls_x509write_crt_init(&w);
        mbedtls_mpi_init(&serial);
    }
    ~CrtWriter() {
        mbedtls_mpi_free(&serial);
        mbedtls_x509write_crt_free(&w);
    }
    CrtWriter(const CrtWriter&) = delete;
    CrtWriter& operator=(const CrtWriter&) = delete;
};

} // namespace

Credentials::Credentials(std::unique_ptr<Parts> parts, std::string chain_pem)
    : parts_(std::move(parts)), chain_pem_(std::move(chain_pem)) {}

Credentials::~Credentials() = default;

mbedtls_x509_crt* Credentials::chain() const {
    return &parts_->crt;
}
mbedtls_pk_context* Credentials::key() const {
    return &parts_->key;
}

std::shared_ptr<const Credentials> Credentials::from_pem(std::string_view chain_pem,
                                                         std::string_view key_pem) {
    auto parts = std::make_unique<Parts>();
    // The PEM parsers want the terminating NUL counted in the length.
    const std::string chain(chain_pem);
    int rc = mbedtls_x509_crt_parse(
        &parts->crt, reinterpret_cast<const unsigned char*>(chain.c_str()), chain.size() + 1);
    if (rc < 0)
        fail("cannot parse the certificate chain", rc);
    if (rc > 0)
        throw std::runtime_error("cannot parse " + std::to_string(rc) +
                                 " certificate(s) of the chain");
    if (parts->crt.raw.p == nullptr)
        throw std::runtime_error("the certificate file holds no certificate");
    std::string key(key_pem);
    rc = mbedtls_pk_parse_key(&parts->key, reinterpret_cast<const unsigned char*>(key.c_str()),
                              key.size() + 1, nullptr, 0);
    mbedtls_platform_zeroize(key.data(), key.size());
    if (rc != 0)
        fail("cannot parse the private key", rc);
    rc = mbedtls_pk_check_pair(&parts->crt.pk, &parts->key);
    if (rc != 0)
        fail("the private key does not match the certificate", rc);
    warm_up_key(parts->key);
    return std::make_shared<const Credentials>(std::move(parts), chain);
}

std::shared_ptr<const Credentials> Credentials::load_pem_files(const std::string& chain_file,
                                                               const std::string& key_file) {
    const std::string chain = read_file(chain_file, "certificate file");
    std::string key = read_file(key_file, "key file");
    try {
        auto creds = from_pem(chain, key);
        mbedtls_platform_zeroize(key.data(), key.size());
        return creds;
    } catch (const std::runtime_error& e) {
        mbedtls_platform_zeroize(key.data(), key.size());
        throw std::runtime_error(std::string(e.what()) + " (" + chain_file + ", " + key_file + ")");
    }
}

std::shared_ptr<const Credentials>
Credentials::self_signed(std::chrono::system_clock::time_point now,
                         const SelfSignedOptions& options) {
    if (options.common_name.empty() ||
        options.common_name.find_first_of(",=\\+\"<>;") != std::string::npos)
        throw std::runtime_error("invalid common name for a self-signed certificate");
    auto parts = std::make_unique<Parts>();
    int rc = mbedtls_pk_setup(&parts->key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
    if (rc == 0)
        rc = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(parts->key),
                                 random_callback, nullptr);
    if (rc != 0)
        fail("cannot generate an ECDSA P-256 key", rc);

    CrtWriter cw;
    mbedtls_x509write_crt_set_version(&cw.w, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(&cw.w, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(&cw.w, &parts->key);
    mbedtls_x509write_crt_set_issuer_key(&cw.w, &parts->key);
    const std::string name = "CN=" + options.common_name;
    rc = mbedtls_x509write_crt_set_subject_name(&cw.w, name.c_str());
    if (rc == 0)
        rc = mbedtls_x509write_crt_set_issuer_name(&cw.w, name.c_str());
    // RFC 5280 §4.1.2.2: a positive serial of at most 20 octets.
    unsigned char serial[16];
    if (rc == 0)
        rc = random_callback(nullptr, serial, sizeof(serial));
    serial[0] = static_cast<unsigned char>((serial[0] & 0x7f) | 0x01);
    if (rc == 0)
        rc = mbedtls_mpi_read_binary(&cw.serial, serial, sizeof(serial));
    if (rc == 0)
        rc = mbedtls_x509write_crt_set_serial(&cw.w, &cw.serial);
    const auto not_before = x509_time(now - std::chrono::hours(1));
    const auto not_after = x509_time(now + options.validity);
    if (rc == 0)
        rc = mbedtls_x509write_crt_set_validity(&cw.w, not_before.c_str(), not_after.c_str());
    if (rc == 0)
        rc = mbedtls_x509write_crt_set_basic_constraints(&cw.w, 0, -1);
    if (rc == 0)
        rc = mbedtls_x509write_crt_set_key_usage(&cw.w, MBEDTLS_X509_KU_DIGITAL_SIGNATURE);
    if (rc == 0 && (!options.dns_names.empty() || !options.ip_addresses.empty())) {
        const auto san = subject_alt_name(options);
        rc = mbedtls_x509write_crt_set_extension(&cw.w, MBEDTLS_OID_SUBJECT_ALT_NAME,
                                                 MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), 0,
                                                 san.data(), san.size());
    }
    if (rc != 0)
        fail("cannot build the self-signed certificate", rc);
    std::vector<unsigned char> pem(4096 + 64 * (options.dns_names.size() + 1));
    rc = mbedtls_x509write_crt_pem(&cw.w, pem.data(), pem.size(), random_callback, nullptr);
    if (rc != 0)
        fail("cannot sign the self-signed certificate", rc);
    std::string chain(reinterpret_cast<const char*>(pem.data()));
    rc = mbedtls_x509_crt_parse(&parts->crt, reinterpret_cast<const unsigned char*>(chain.c_str()),
                                chain.size() + 1);
    if (rc != 0)
        fail("cannot parse the self-signed certificate", rc);
    warm_up_key(parts->key);
    return std::make_shared<const Credentials>(std::move(parts), std::move(chain));
}

std::string fingerprint_sha256(std::span<const uint8_t> der) {
    unsigned char digest[32];
    mbedtls_sha256_ret(der.data(), der.size(), digest, 0);
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(sizeof(digest) * 3);
    for (std::size_t i = 0; i < sizeof(digest); ++i) {
        if (i != 0)
            out.push_back(':');
        out.push_back(kHex[digest[i] >> 4]);
        out.push_back(kHex[digest[i] & 0x0f]);
    }
    return out;
}

bool same_fingerprint(std::string_view a, std::string_view b) {
    if (a.empty() || a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
        if (std::tolower(x) != std::tolower(y))
            return false;
    }
    return true;
}

std::string Credentials::fingerprint_sha256() const {
    return rtc::tls::fingerprint_sha256({parts_->crt.raw.p, parts_->crt.raw.len});
}

std::string Credentials::subject() const {
    char buf[512];
    const int n = mbedtls_x509_dn_gets(buf, sizeof(buf), &parts_->crt.subject);
    return n < 0 ? std::string() : std::string(buf, static_cast<std::size_t>(n));
}

} // namespace rtc::tls

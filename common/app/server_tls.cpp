#include "app/server_tls.hpp"

#include "app/exit_codes.hpp"
#include "tls/credentials.hpp"

#include <chrono>

namespace rtc::app {

namespace {
constexpr const char* kCertHint = "check that --cert and --key name a PEM chain and its key";
}

ServerTls::ServerTls(const CommonOptions& options, Logger& log) : options_(options), log_(log) {
    try {
        if (options.cert_auto()) {
            credentials_ = tls::Credentials::self_signed(std::chrono::system_clock::now());
            log.warn("using a self-signed certificate (--cert auto): for local testing only",
                     {{"sha256", credentials_->fingerprint_sha256()}});
        } else {
            credentials_ = tls::Credentials::load_pem_files(options.cert, options.key);
        }
    } catch (const std::runtime_error& e) {
        throw ToolError(std::string("--cert: ") + e.what(), kCertHint);
    }
}

std::shared_ptr<tls::ReloadableContext> ServerTls::context(const tls::ServerOptions& server) {
    try {
        contexts_.push_back(std::make_shared<tls::ReloadableContext>(credentials_, server));
    } catch (const std::runtime_error& e) {
        throw ToolError(std::string("--cert: ") + e.what(), kCertHint);
    }
    return contexts_.back();
}

void ServerTls::reload() {
    if (options_.cert_auto() || contexts_.empty())
        return;
    try {
        auto credentials = tls::Credentials::load_pem_files(options_.cert, options_.key);
        for (auto& context : contexts_)
            context->reload(credentials);
        credentials_ = credentials;
        log_.info("reloaded certificate", {{"cert", options_.cert}});
    } catch (const std::exception& e) {
        log_.error("certificate reload failed, keeping the old one", {{"error", e.what()}});
    }
}

} // namespace rtc::app

#pragma once
// The TLS side of --cert/--key (CLI.md "Endpoints") that every server shares: the PEM chain and
// key, or the self-signed `--cert auto` certificate, loaded once and served through one context
// per transport (TLS, DTLS) or ALPN list; SIGHUP swaps the certificate in all of them.
//
//   rtc::app::ServerTls tls(opts, log);                      // throws ToolError naming --cert
//   rtc::tls::ServerOptions turn;
//   turn.alpn = {"stun.turn"};
//   auto stream = tls.context(turn);
//   ...on SIGHUP: tls.reload();
#include "app/cli.hpp"
#include "app/log.hpp"
#include "tls/context.hpp"

#include <memory>
#include <vector>

namespace rtc::tls {
class Credentials;
}

namespace rtc::app {

class ServerTls {
public:
    ServerTls(const CommonOptions& options, Logger& log);
    // A context for one kind of listener; every context shares the certificate.
    std::shared_ptr<tls::ReloadableContext> context(const tls::ServerOptions& server = {});
    // Reloads the files named by --cert/--key into every context; on failure the old
    // certificate stays and the error is logged. `--cert auto` keeps its certificate.
    void reload();

private:
    const CommonOptions& options_;
    Logger& log_;
    std::shared_ptr<const tls::Credentials> credentials_;
    std::vector<std::shared_ptr<tls::ReloadableContext>> contexts_;
};

} // namespace rtc::app

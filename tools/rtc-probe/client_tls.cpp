#include "client_tls.hpp"

#include "app/exit_codes.hpp"
#include "app/secret_file.hpp"
#include "net/ws_client.hpp"

#include <fstream>
#include <sstream>

namespace rtc::probe_tool {

std::shared_ptr<const tls::Context> client_tls(const std::string& ca_file, bool insecure) {
    tls::ClientOptions co;
    co.verify_peer = !insecure;
    if (!ca_file.empty()) {
        co.trusted_pem = app::read_flag_file("--ca", ca_file);
    } else if (!insecure) {
        std::ifstream in(net::kSystemCaBundle);
        std::stringstream text;
        text << in.rdbuf();
        co.trusted_pem = text.str();
        if (co.trusted_pem.empty())
            throw app::ToolError(std::string("cannot read the system CA bundle ") +
                                     net::kSystemCaBundle,
                                 "give --ca FILE, or --insecure for a test server");
    }
    try {
        return tls::Context::client(co);
    } catch (const std::exception& e) {
        throw app::ToolError(std::string("TLS setup failed: ") + e.what(), "check the --ca file");
    }
}

} // namespace rtc::probe_tool

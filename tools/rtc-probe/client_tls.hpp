#pragma once
// The TLS client context of rtc-probe's stuns: and turns: checks (--ca FILE, --insecure).
#include "tls/context.hpp"

#include <memory>
#include <string>

namespace rtc::probe_tool {

// Trusts `ca_file` (PEM) when given, else the system's CA bundle; `insecure` accepts any
// certificate. Throws app::ToolError with a one-line hint when the trust store cannot be read.
std::shared_ptr<const tls::Context> client_tls(const std::string& ca_file, bool insecure);

} // namespace rtc::probe_tool

#pragma once
// `rtc-probe nat`: runs probe::NatProbe over real UDP sockets and prints its report.
#include "probe_options.hpp"

#include "app/log.hpp"

namespace rtc::probe_tool {

// Returns the verdict's exit code (probe/nat_report.hpp). Throws app::ConfigError for a bad
// URI and app::ToolError when the server cannot be resolved or a socket cannot be opened.
int run_nat(const NatOptions& options, app::Logger& log);

} // namespace rtc::probe_tool

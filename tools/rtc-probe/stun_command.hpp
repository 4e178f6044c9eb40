#pragma once
// `rtc-probe stun URL...`: a Binding to each server, side by side, then one report.
#include "probe_options.hpp"

#include "app/log.hpp"

namespace rtc::probe_tool {

// 0 when every server answered with a success response, 1 otherwise. Throws app::ConfigError
// for a URI that does not parse.
int run_stun(const StunOptions& options, app::Logger& log);

} // namespace rtc::probe_tool

#pragma once
// run_main: the outermost frame of every tool's main(). It runs the tool and turns an escaping
// exception into one line on stderr and an exit code (ARCHITECTURE.md principle 4):
//
//   int main(int argc, char** argv) {
//       return rtc::app::run_main("rtc-stun", [&] { return run(argc, argv); });
//   }
//
// ConfigError -> "rtc-stun: <what> (<hint or: see rtc-stun --help>)", exit 2.
// ToolError   -> "rtc-stun: <what> (<hint>)", exit 1.
// anything else -> "rtc-stun: <what> (unexpected error; please report it)", exit 1.
#include "app/exit_codes.hpp"

#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>

namespace rtc::app {

int run_main(std::string_view tool_name, const std::function<int()>& fn);
int run_main(std::string_view tool_name, const std::function<int()>& fn, std::ostream& err);

// "tool: what (hint)" on one line: control characters become spaces, no trailing newline.
// An empty hint leaves out the parentheses.
std::string error_line(std::string_view tool_name, std::string_view what, std::string_view hint);

} // namespace rtc::app

#pragma once
// Secrets and lists read from files named by flags (--auth-secret-file, --token-secret-file):
// one value a line, blank lines and lines starting with '#' skipped, surrounding whitespace cut.
#include <string>
#include <vector>

namespace rtc::app {

// The whole file. Throws ConfigError("FLAG: cannot read PATH", ...).
std::string read_flag_file(const std::string& flag, const std::string& path);

// The values of the file, in order. Throws ConfigError like read_flag_file.
std::vector<std::string> read_flag_file_lines(const std::string& flag, const std::string& path);

} // namespace rtc::app

#include "app/secret_file.hpp"

#include "app/exit_codes.hpp"

#include <fstream>
#include <sstream>

namespace rtc::app {

std::string read_flag_file(const std::string& flag, const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw ConfigError(flag + ": cannot read " + path, "check the file name and its mode");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::vector<std::string> read_flag_file_lines(const std::string& flag, const std::string& path) {
    std::vector<std::string> values;
    std::istringstream in(read_flag_file(flag, path));
    for (std::string line; std::getline(in, line);) {
        const auto first = line.find_first_not_of(" \t\r");
        if (first == std::string::npos || line[first] == '#')
            continue;
        const auto last = line.find_last_not_of(" \t\r");
        values.push_back(line.substr(first, last - first + 1));
    }
    return values;
}

} // namespace rtc::app

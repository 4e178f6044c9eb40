#include "app/run_main.hpp"

#include <exception>
#include <iostream>
#include <new>

namespace rtc::app {

namespace {

void append_one_line(std::string& out, std::string_view text) {
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
    }
}

} // namespace

std::string error_line(std::string_view tool_name, std::string_view what, std::string_view hint) {
    std::string line;
    line.reserve(tool_name.size() + what.size() + hint.size() + 8);
    append_one_line(line, tool_name);
    line += ": ";
    append_one_line(line, what);
    while (!line.empty() && line.back() == ' ')
        line.pop_back();
    if (!hint.empty()) {
        line += " (";
        append_one_line(line, hint);
        line += ')';
    }
    return line;
}

int run_main(std::string_view tool_name, const std::function<int()>& fn) {
    return run_main(tool_name, fn, std::cerr);
}

int run_main(std::string_view tool_name, const std::function<int()>& fn, std::ostream& err) {
    std::string line;
    int code = kExitFailure;
    try {
        return fn();
    } catch (const ConfigError& e) {
        std::string help = "see " + std::string(tool_name) + " --help";
        line =
            error_line(tool_name, e.what(), e.hint().empty() ? std::string_view(help) : e.hint());
        code = kExitUsage;
    } catch (const ToolError& e) {
        line = error_line(tool_name, e.what(), e.hint());
    } catch (const std::bad_alloc&) {
        line = error_line(tool_name, "out of memory", "lower the limits or add memory");
    } catch (const std::exception& e) {
        line = error_line(tool_name, e.what(), "unexpected error; please report it");
    } catch (...) {
        line = error_line(tool_name, "unknown exception", "unexpected error; please report it");
    }
    line += '\n';
    err << line << std::flush;
    return code;
}

} // namespace rtc::app

#pragma once
// Helpers for the rtc_app tests: a tiny example tool built on ToolCli, temporary files and
// running shell snippets.
#include "app/cli.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace rtc::app::test {

// The example tool "rtc-example": every shared flag plus three options of its own.
struct ExampleTool {
    ToolCli cli{"rtc-example", "Example tool for the rtc_app tests"};
    std::string realm = "example.org";
    bool allow_loopback = false;
    std::string mode = "fast";

    ExampleTool() {
        cli.add_listen({.default_scheme = Scheme::Udp,
                        .schemes = {{Scheme::Udp, 3478},
                                    {Scheme::Tcp, 3478},
                                    {Scheme::Tls, 5349},
                                    {Scheme::Dtls, 5349}},
                        .defaults = {"udp://*:3478", "tcp://*:3478"}});
        cli.add_tls();
        cli.add_external_ip();
        cli.add_port_range({49152, 65535});
        cli.add_server_options();
        cli.app().add_option("--realm", realm, "Realm of long-term credentials");
        cli.app().add_flag("--allow-loopback", allow_loopback, "Relay to loopback peers");
        cli.choices(cli.app().add_option("--mode", mode, "Scheduling mode"), {"fast", "slow"});
    }
};

struct ParseResult {
    std::optional<int> code;
    std::string out;
    std::string err;
};

inline ParseResult parse(ExampleTool& tool, const std::vector<std::string>& args) {
    std::ostringstream out, err;
    ParseResult r;
    r.code = tool.cli.parse(args, out, err);
    r.out = out.str();
    r.err = err.str();
    return r;
}

// A file under /tmp removed when this goes out of scope.
class TempFile {
public:
    explicit TempFile(const std::string& contents, const std::string& suffix = "") {
        std::string pattern = "/tmp/rtc_app_test_XXXXXX" + suffix;
        std::vector<char> name(pattern.begin(), pattern.end());
        name.push_back('\0');
        int fd = ::mkstemps(name.data(), static_cast<int>(suffix.size()));
        if (fd >= 0) {
            path_ = name.data();
            ::close(fd);
            std::ofstream(path_, std::ios::binary) << contents;
        }
    }
    ~TempFile() {
        if (!path_.empty())
            ::unlink(path_.c_str());
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

struct ShellResult {
    int status = -1; // exit status, or -1 if the command could not run
    std::string output;
};

// Runs a command with /bin/sh, collecting stdout (stderr too if the command redirects it).
// The read loop is bounded by the command's output, which ends when the command exits.
inline ShellResult run_shell(const std::string& command) {
    ShellResult r;
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
    if (!pipe)
        return r;
    std::array<char, 4096> buf{};
    std::size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), pipe.get())) > 0)
        r.output.append(buf.data(), n);
    int raw = ::pclose(pipe.release());
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    return r;
}

inline bool have_program(const std::string& name) {
    return run_shell("command -v " + name + " >/dev/null 2>&1").status == 0;
}

} // namespace rtc::app::test

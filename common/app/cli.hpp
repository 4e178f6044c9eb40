#pragma once
// ToolCli: the command line every rtc-* tool shares (CLI.md). It wraps a CLI::App, adds the
// shared flags a tool opts into with one spelling everywhere, reads the config file, and turns
// every usage error into one line on stderr and exit code 2.
//
//   int run(int argc, char** argv) {
//       rtc::app::ToolCli cli("rtc-stun", "STUN server (RFC 8489) with RFC 5780 NAT discovery");
//       cli.add_listen({.default_scheme = rtc::app::Scheme::Udp,
//                       .schemes = {{rtc::app::Scheme::Udp, 3478}, {rtc::app::Scheme::Tcp, 3478},
//                                   {rtc::app::Scheme::Tls, 5349}},
//                       .defaults = {"udp://*:3478", "tcp://*:3478"}});
//       cli.add_tls();              // --cert, --key
//       cli.add_server_options();   // --config, --print-config, --log-level, --log-format,
//                                   // --metrics, --threads
//       std::string realm = "example.org";                       // a tool's own option
//       cli.app().add_option("--realm", realm, "Realm of long-term credentials");
//       if (auto exit_code = cli.parse(argc, argv))              // help, version, errors...
//           return *exit_code;
//       const rtc::app::CommonOptions& opts = cli.options();     // checked, ready to bind
//       rtc::app::Logger log(cli.tool_name(), opts.log_level, opts.log_format);
//       ...
//   }
//   int main(int argc, char** argv) {
//       return rtc::app::run_main("rtc-stun", [&] { return run(argc, argv); });
//   }
//
// Always present: -h/--help, -V/--version ("rtc-stun 0.1.0"), --generate complete-bash|
// complete-zsh|complete-fish. Every long flag can also be set in the --config file (CLI11's
// TOML: `threads = 4`, `listen = ["udp://*:3478", "tcp://*:3478"]`); the command line wins.
#include "app/completions.hpp"
#include "app/exit_codes.hpp"
#include "app/listen_url.hpp"
#include "app/log.hpp"
#include "app/option_values.hpp"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rtc::app {

// The toolkit version, "X.Y.Z", from CMake's PROJECT_VERSION.
std::string_view toolkit_version();

// How --print-config hides the values of a secret option (ToolCli::secret).
enum class SecretForm : uint8_t {
    Whole,      // "<redacted>"
    AfterColon, // NAME:PASS -> "NAME:<redacted>" (no colon: "<redacted>")
};

// The placeholder --print-config prints instead of a secret.
inline constexpr std::string_view kRedacted = "<redacted>";

// The shared flags after parsing; only the flags the tool added are meaningful.
struct CommonOptions {
    std::vector<ListenUrl> listen;        // --listen, or the tool's defaults
    std::string cert;                     // --cert: "" (none), "auto" or a PEM file
    std::string key;                      // --key: PEM file ("" with --cert auto)
    std::vector<ExternalIp> external_ips; // --external-ip: at most one per address family
    std::optional<PortRange> port_range;  // --port-range
    LogLevel log_level = LogLevel::Info;  // --log-level
    LogFormat log_format = LogFormat::Text;
    std::optional<util::Endpoint> metrics; // --metrics HOST:PORT, or off
    unsigned threads = 1;                  // --threads, default: the number of cores

    bool cert_auto() const { return cert == "auto"; }
};

class ToolCli {
public:
    // tool_name is the executable name, "rtc-stun"; it starts every message.
    ToolCli(std::string tool_name, std::string description);
    ~ToolCli();
    ToolCli(const ToolCli&) = delete; // CLI11 keeps pointers into this object
    ToolCli& operator=(const ToolCli&) = delete;

    CLI::App& app() { return app_; }
    const CLI::App& app() const { return app_; }
    const std::string& tool_name() const { return tool_name_; }

    // Shared flags, each opt-in. They return the CLI11 option for further tuning.
    CLI::Option* add_listen(ListenSpec spec);             // --listen URL (repeatable)
    void add_tls();                                       // --cert FILE|auto, --key FILE
    CLI::Option* add_external_ip();                       // --external-ip IP[/PRIVATE]
    CLI::Option* add_port_range(PortRange default_range); // --port-range MIN-MAX
    CLI::Option* add_config();                            // --config FILE, --print-config
    void add_logging();                                   // --log-level, --log-format
    CLI::Option* add_metrics();                           // --metrics HOST:PORT
    CLI::Option* add_threads();                           // --threads N
    void add_server_options(); // add_config, add_logging, add_metrics, add_threads
    // --software TEXT: a SOFTWARE attribute in STUN/TURN responses (RFC 8489 §14.14), off by
    // default so a server does not advertise what it runs.
    CLI::Option* add_software(std::string& value);

    // For a tool's own options: the value must be one of `values` (checked while parsing,
    // offered by the completions), or is a file name (completions offer files).
    CLI::Option* choices(CLI::Option* option, std::vector<std::string> values);
    CLI::Option* file_value(CLI::Option* option);
    // Marks an option whose values are secrets (passwords, shared secrets): --print-config
    // prints them as "<redacted>", on a commented-out line so that its output, used as a
    // --config file, never runs with the placeholder as a secret.
    CLI::Option* secret(CLI::Option* option, SecretForm form = SecretForm::Whole);
    // A whole-configuration check, run after parsing and before --print-config; it reports a
    // problem by throwing ConfigError("--flag: what is wrong", "what to do").
    void add_check(std::function<void(const CommonOptions&)> check);

    // Parses, checks everything, and handles --help, --version, --generate and --print-config.
    // Returns nullopt when the tool should go on, else the exit code to return from main:
    // 0 after printing help/version/completions/config to stdout, 2 after printing a one-line
    // usage error to stderr.
    std::optional<int> parse(int argc, const char* const* argv);
    // The same with args without the program name, and explicit streams (tests).
    std::optional<int> parse(const std::vector<std::string>& args, std::ostream& out,
                             std::ostream& err);

    const CommonOptions& options() const { return options_; }
    // The effective configuration in the --config format (what --print-config prints).
    std::string effective_config() const;
    std::string completion(Shell shell) const;

private:
    void finish();
    std::string usage_message(const CLI::Error& e) const;
    std::string config_file() const;

    std::string tool_name_;
    CLI::App app_;
    CompletionHints hints_;
    std::map<const CLI::Option*, SecretForm> secrets_;
    std::vector<std::function<void(const CommonOptions&)>> checks_;
    std::vector<std::string> args_;
    CommonOptions options_;

    // Raw values bound to CLI11, converted into options_ by finish().
    ListenSpec listen_spec_;
    CLI::Option* listen_option_ = nullptr;
    std::vector<std::string> listen_;
    bool tls_ = false;
    std::string cert_;
    std::string key_;
    std::vector<std::string> external_ips_;
    std::string port_range_;
    CLI::Option* config_option_ = nullptr;
    std::string config_;
    bool print_config_ = false;
    std::string log_level_ = "info";
    std::string log_format_ = "text";
    std::string metrics_;
    std::string threads_;
    std::string generate_;
};

} // namespace rtc::app

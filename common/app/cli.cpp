#include "app/cli.hpp"

#include "app/quote.hpp"
#include "app/run_main.hpp"

#include <iostream>
#include <stdexcept>
#include <thread>

// The lead's CMake passes PROJECT_VERSION (common/CMakeLists.txt); this only keeps a build
// without it compiling.
#ifndef RTC_VERSION
#define RTC_VERSION "0.0.0"
#endif

namespace rtc::app {

namespace {

// Thrown from the --generate callback so that it wins over missing required options.
struct GenerateRequest {
    Shell shell;
};

constexpr std::string_view kConfigFileError = " was not readable (missing?)";
constexpr std::string_view kConfigExtras = "INI was not able to parse ";
constexpr std::string_view kNotConfigurable =
    ": This option is not allowed in a configuration file";

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string joined(const std::vector<std::string>& items, std::string_view sep) {
    std::string out;
    for (const auto& item : items)
        out += (out.empty() ? "" : std::string(sep)) + item;
    return out;
}

unsigned default_threads() {
    unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : n;
}

// The options of app and of its unnamed option groups, in declaration order.
void configurable_options(const CLI::App& app, std::vector<const CLI::Option*>& out) {
    for (const CLI::Option* opt : app.get_options())
        if (opt->get_configurable())
            out.push_back(opt);
    for (const CLI::App* sub : app.get_subcommands({}))
        if (sub->get_name().empty())
            configurable_options(*sub, out);
}

// Whether a default value passes the option's own checks: a default such as 0 for "automatic"
// may be one the user cannot write, and then --print-config must not write it either.
bool default_passes_checks(const CLI::Option* opt, const std::vector<std::string>& values) {
    // CLI11 2.1 has no const access to the validators; calling them changes nothing.
    auto* mutable_opt = const_cast<CLI::Option*>(opt);
    for (int i = 0; i < 64; ++i) {
        CLI::Validator* validator = nullptr;
        try {
            validator = mutable_opt->get_validator(i);
        } catch (const CLI::OptionNotFound&) {
            break;
        }
        if (!validator->get_active())
            continue;
        for (std::string value : values)
            if (!(*validator)(value).empty())
                return false;
    }
    return true;
}

std::string redacted(const std::string& value, SecretForm form) {
    auto colon = value.find(':');
    if (form == SecretForm::AfterColon && colon != std::string::npos)
        return value.substr(0, colon + 1) + std::string(kRedacted);
    return std::string(kRedacted);
}

} // namespace

std::string_view toolkit_version() {
    return RTC_VERSION;
}

ToolCli::ToolCli(std::string tool_name, std::string description)
    : tool_name_(std::move(tool_name)), app_(std::move(description), tool_name_) {
    // Every option shows its default in --help and in --print-config.
    app_.option_defaults()->always_capture_default();
    // Unknown arguments are reported by parse() with a message of our own.
    app_.allow_extras();
    app_.allow_config_extras(CLI::config_extras_mode::error);
    app_.set_help_flag("-h,--help", "Print this help and exit");
    app_.set_version_flag("-V,--version", tool_name_ + " " + std::string(toolkit_version()),
                          "Print the version and exit");
    std::vector<std::string> shells = {"complete-bash", "complete-zsh", "complete-fish"};
    auto* generate =
        app_.add_option("--generate", generate_, "Print a shell completion script and exit")
            ->type_name("SHELL")
            ->configurable(false)
            ->check(validate::one_of(shells))
            ->each([](const std::string& value) {
                if (auto shell = parse_generate_target(value))
                    throw GenerateRequest{*shell};
            });
    hints_.choices[generate] = shells;
}

ToolCli::~ToolCli() = default;

CLI::Option* ToolCli::add_listen(ListenSpec spec) {
    bool default_served = false;
    for (const auto& s : spec.schemes)
        default_served = default_served || s.scheme == spec.default_scheme;
    if (!default_served)
        throw std::invalid_argument("ListenSpec: the default scheme is not in its schemes");
    for (const auto& text : spec.defaults) {
        std::string why;
        if (!parse_listen_url(text, spec, &why))
            throw std::invalid_argument("bad default listener " + why);
    }
    listen_spec_ = std::move(spec);
    std::vector<std::string> forms;
    for (const auto& s : listen_spec_.schemes)
        forms.push_back(std::string(scheme_name(s.scheme)) + "://HOST:PORT");
    std::string description = "Serve on " + joined(forms, ", ") +
                              "; HOST is an IPv4 address, [IPv6] or * for all; repeatable";
    listen_option_ = app_.add_option("--listen", listen_, description)
                         ->type_name("URL")
                         ->allow_extra_args(false)
                         ->check(validate::listen_url(listen_spec_))
                         ->default_str(joined(listen_spec_.defaults, " "));
    return listen_option_;
}

void ToolCli::add_tls() {
    tls_ = true;
    auto* cert =
        app_.add_option("--cert", cert_,
                        "PEM certificate chain for TLS, DTLS and HTTPS, reloaded on SIGHUP; "
                        "\"auto\" makes a self-signed one for testing")
            ->type_name("FILE|auto")
            ->check(CLI::Validator(
                [](std::string& value) {
                    std::string why;
                    if (value == "auto" || check_readable_file(value, &why))
                        return std::string();
                    return why;
                },
                ""));
    auto* key = app_.add_option("--key", key_, "PEM private key of --cert")
                    ->type_name("FILE")
                    ->check(validate::readable_file());
    hints_.choices[cert] = {"auto"};
    hints_.files.insert(cert);
    hints_.files.insert(key);
}

CLI::Option* ToolCli::add_external_ip() {
    return app_
        .add_option("--external-ip", external_ips_,
                    "Address to advertise behind 1:1 NAT, PUBLIC or PUBLIC/PRIVATE; "
                    "once per address family")
        ->type_name("IP[/IP]")
        ->allow_extra_args(false)
        ->check(validate::external_ip())
        ->default_str("");
}

CLI::Option* ToolCli::add_port_range(PortRange default_range) {
    port_range_ = default_range.to_string();
    return app_.add_option("--port-range", port_range_, "Relay or media ports")
        ->type_name("MIN-MAX")
        ->check(validate::port_range());
}

CLI::Option* ToolCli::add_config() {
    config_option_ = app_.set_config("--config", "",
                                     "Read options from FILE (TOML, keys are long flag names); "
                                     "the command line wins");
    config_option_->type_name("FILE");
    hints_.files.insert(config_option_);
    app_.add_flag("--print-config", print_config_,
                  "Print the effective configuration in --config format and exit")
        ->configurable(false);
    return config_option_;
}

void ToolCli::add_logging() {
    std::vector<std::string> levels = {"trace", "debug", "info", "warn", "error", "off"};
    std::vector<std::string> formats = {"text", "json"};
    auto* level = app_.add_option("--log-level", log_level_, "Log threshold; logs go to stderr")
                      ->type_name("LEVEL")
                      ->check(validate::one_of(levels));
    auto* format = app_.add_option("--log-format", log_format_, "Log line format")
                       ->type_name("FORMAT")
                       ->check(validate::one_of(formats));
    hints_.choices[level] = levels;
    hints_.choices[format] = formats;
}

CLI::Option* ToolCli::add_metrics() {
    return app_
        .add_option("--metrics", metrics_,
                    "Serve Prometheus metrics at http://HOST:PORT/metrics and liveness at "
                    "/healthz (default: off)")
        ->type_name("HOST:PORT")
        ->check(validate::endpoint());
}

CLI::Option* ToolCli::add_threads() {
    threads_ = std::to_string(default_threads());
    return app_.add_option("--threads", threads_, "Worker threads (default: the number of cores)")
        ->type_name("N")
        ->check(validate::number(1, 1024));
}

void ToolCli::add_server_options() {
    add_config();
    add_logging();
    add_metrics();
    add_threads();
}

CLI::Option* ToolCli::choices(CLI::Option* option, std::vector<std::string> values) {
    option->check(validate::one_of(values));
    hints_.choices[option] = std::move(values);
    return option;
}

CLI::Option* ToolCli::file_value(CLI::Option* option) {
    hints_.files.insert(option);
    return option;
}

CLI::Option* ToolCli::secret(CLI::Option* option, SecretForm form) {
    secrets_[option] = form;
    return option;
}

void ToolCli::add_check(std::function<void(const CommonOptions&)> check) {
    checks_.push_back(std::move(check));
}

std::optional<int> ToolCli::parse(int argc, const char* const* argv) {
    std::vector<std::string> args;
    for (int i = 1; i < argc; ++i)
        args.emplace_back(argv[i]);
    return parse(args, std::cout, std::cerr);
}

CLI::Option* ToolCli::add_software(std::string& value) {
    return app_
        .add_option("--software", value,
                    "Put a SOFTWARE attribute with TEXT in responses (default: none)")
        ->check(CLI::Validator(
            [](std::string& v) -> std::string {
                return v.size() < 128 ? "" : "value is longer than 127 bytes (RFC 8489 §14.14)";
            },
            ""))
        ->type_name("TEXT");
}

std::optional<int> ToolCli::parse(const std::vector<std::string>& args, std::ostream& out,
                                  std::ostream& err) {
    const std::string help_hint = "see " + tool_name_ + " --help";
    args_ = args;
    // A repeatable option that defaults to nothing would show "=[]" in --help.
    for (CLI::Option* option : app_.get_options())
        if (option->get_default_str() == "[]")
            option->default_str("");
    try {
        app_.parse(std::vector<std::string>(args.rbegin(), args.rend())); // CLI11 wants reversed
        std::vector<std::string> extras = app_.remaining(true);
        if (!extras.empty()) {
            const std::string& first = extras.front();
            if (starts_with(first, "-") && first.size() > 1)
                throw ConfigError(first.substr(0, std::min<std::size_t>(first.find('='), 80)) +
                                  ": unknown option");
            throw ConfigError(quote_value(first) + ": unexpected argument");
        }
        finish();
    } catch (const GenerateRequest& request) {
        out << completion(request.shell) << std::flush;
        return kExitOk;
    } catch (const CLI::CallForHelp&) {
        out << app_.help() << std::flush;
        return kExitOk;
    } catch (const CLI::CallForAllHelp&) {
        out << app_.help("", CLI::AppFormatMode::All) << std::flush;
        return kExitOk;
    } catch (const CLI::CallForVersion& e) {
        out << e.what() << '\n' << std::flush;
        return kExitOk;
    } catch (const CLI::Error& e) {
        if (e.get_exit_code() == 0)
            return kExitOk;
        err << error_line(tool_name_, usage_message(e), help_hint) << '\n' << std::flush;
        return kExitUsage;
    } catch (const ConfigError& e) {
        err << error_line(tool_name_, e.what(), e.hint().empty() ? help_hint : e.hint()) << '\n'
            << std::flush;
        return kExitUsage;
    }
    if (print_config_) {
        out << effective_config() << std::flush;
        return kExitOk;
    }
    return std::nullopt;
}

std::string ToolCli::config_file() const {
    if (!config_option_ || config_option_->count() == 0)
        return {};
    return config_option_->results().front();
}

// Rewrites CLI11's messages into "--flag: what is wrong" form.
std::string ToolCli::usage_message(const CLI::Error& e) const {
    const std::string msg = e.what();
    const std::string type = e.get_name();
    const std::string file = config_file();
    if (type == "FileError" && ends_with(msg, kConfigFileError)) {
        std::string path = msg.substr(0, msg.size() - kConfigFileError.size());
        std::string why;
        if (check_readable_file(path, &why))
            why = "cannot read " + quote_value(path);
        return "--config: " + why;
    }
    if (type == "ConfigError" && starts_with(msg, kConfigExtras)) {
        std::string key = msg.substr(kConfigExtras.size());
        if (ends_with(key, ".++") || ends_with(key, ".--"))
            return "--config " + quote_value(file) + ": unknown section [" +
                   key.substr(0, std::min<std::size_t>(key.size() - 3, 80)) + "]";
        return "--config " + quote_value(file) + ": unknown key " + quote_value(key);
    }
    if (type == "ConfigError" && ends_with(msg, kNotConfigurable)) {
        std::string key = msg.substr(0, msg.size() - kNotConfigurable.size());
        return "--config " + quote_value(file) + ": " + quote_value(key) +
               " cannot be set in a file";
    }
    if (type == "ArgumentMismatch" && starts_with(msg, "-") && ends_with(msg, " missing")) {
        return msg.substr(0, msg.find(':')) + ": missing value";
    }
    if (type == "ConversionError" && starts_with(msg, "Could not convert: ")) {
        std::string rest = msg.substr(19);
        auto eq = rest.find(" = ");
        if (eq != std::string::npos)
            return rest.substr(0, eq) + ": value " + quote_value(rest.substr(eq + 3)) +
                   " is not valid";
    }
    if (type == "ValidationError" && !file.empty()) {
        // Say when the bad value came from the config file rather than the command line.
        std::string flag = msg.substr(0, msg.find(": "));
        bool on_command_line = false;
        for (const auto& arg : args_)
            if (arg == flag || starts_with(arg, flag + "="))
                on_command_line = true;
        if (!on_command_line && starts_with(flag, "--"))
            return "--config " + quote_value(file) + ": " + msg.substr(2);
    }
    return msg;
}

void ToolCli::finish() {
    CommonOptions o;
    if (listen_option_) {
        const auto& texts = listen_.empty() ? listen_spec_.defaults : listen_;
        for (const auto& text : texts) {
            std::string why;
            auto url = parse_listen_url(text, listen_spec_, &why);
            if (!url)
                throw ConfigError("--listen: " + why);
            for (const auto& other : o.listen)
                if (other == *url)
                    throw ConfigError("--listen: " + url->to_string() + " is given twice");
            o.listen.push_back(*url);
        }
    }
    if (tls_) {
        o.cert = cert_;
        o.key = key_;
        if (o.cert_auto() && !o.key.empty())
            throw ConfigError("--key: not used with --cert auto",
                              "drop --key, or give --cert FILE --key FILE");
        if (o.cert.empty() && !o.key.empty())
            throw ConfigError("--key: needs --cert FILE");
        if (!o.cert.empty() && !o.cert_auto() && o.key.empty())
            throw ConfigError("--cert: needs --key FILE", "give the certificate's private key");
    }
    for (const auto& url : o.listen)
        if (is_secure(url.scheme) && o.cert.empty())
            throw ConfigError("--listen: " + url.to_string() + " needs a certificate",
                              "give --cert FILE --key FILE, or --cert auto for testing");
    for (const auto& text : external_ips_) {
        std::string why;
        auto ip = parse_external_ip(text, &why);
        if (!ip)
            throw ConfigError("--external-ip: " + why);
        for (const auto& other : o.external_ips)
            if (other.public_ip.family() == ip->public_ip.family())
                throw ConfigError("--external-ip: two addresses for IPv" +
                                  std::to_string(static_cast<int>(ip->public_ip.family())));
        o.external_ips.push_back(*ip);
    }
    std::string why;
    if (!port_range_.empty()) {
        o.port_range = parse_port_range(port_range_, &why);
        if (!o.port_range)
            throw ConfigError("--port-range: " + why);
    }
    auto level = parse_log_level(log_level_);
    auto format = parse_log_format(log_format_);
    if (!level)
        throw ConfigError("--log-level: value " + quote_value(log_level_) + " is not a level");
    if (!format)
        throw ConfigError("--log-format: value " + quote_value(log_format_) + " is not a format");
    o.log_level = *level;
    o.log_format = *format;
    if (!metrics_.empty()) {
        o.metrics = parse_endpoint(metrics_, &why);
        if (!o.metrics)
            throw ConfigError("--metrics: " + why);
    }
    o.threads = default_threads();
    if (!threads_.empty()) {
        auto n = parse_number(threads_, 1, 1024, &why);
        if (!n)
            throw ConfigError("--threads: " + why);
        o.threads = static_cast<unsigned>(*n);
    }
    options_ = std::move(o);
    for (const auto& check : checks_)
        check(options_);
}

std::string ToolCli::effective_config() const {
    std::vector<const CLI::Option*> opts;
    configurable_options(app_, opts);
    std::string out;
    for (const CLI::Option* opt : opts) {
        std::vector<std::string> values;
        bool is_default = false;
        if (opt == listen_option_) {
            for (const auto& url : options_.listen)
                values.push_back(url.to_string());
        } else if (opt->count() > 0) {
            values = opt->reduced_results();
        } else if (std::string def = opt->get_default_str(); !def.empty()) {
            is_default = true;
            // CLI11 shows a vector default as "[a,b]".
            if (opt->get_expected_max() > 1 && def.size() >= 2 && def.front() == '[' &&
                def.back() == ']')
                values = CLI::detail::split(def.substr(1, def.size() - 2), ',');
            else
                values = {def};
        } else if (opt->get_expected_max() == 0) {
            values = {"false"}; // a flag not given
        }
        if (values.empty())
            continue; // unset, no default: left out
        auto secret = secrets_.find(opt);
        if (secret != secrets_.end()) {
            for (auto& value : values)
                value = redacted(value, secret->second);
            out += "# " + opt->get_single_name() + "=" + CLI::detail::ini_join(values) +
                   " (secret: not printed)\n";
            continue;
        }
        std::string line = opt->get_single_name() + "=" + CLI::detail::ini_join(values);
        if (is_default && !default_passes_checks(opt, values))
            out += "# " + line + " (built-in default)\n";
        else
            out += line + "\n";
    }
    return out;
}

std::string ToolCli::completion(Shell shell) const {
    return generate_completion(shell, app_, hints_);
}

} // namespace rtc::app

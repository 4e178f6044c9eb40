#pragma once
// Shell completion scripts built from a CLI::App's option model (CLI.md "Every tool":
// `--generate complete-bash|complete-zsh|complete-fish`). The output depends only on the
// options, so the scripts committed under completions/ can be compared with it.
#include <CLI/CLI.hpp>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace rtc::app {

enum class Shell : uint8_t { Bash, Zsh, Fish };

// "complete-bash" -> Shell::Bash, ...
std::optional<Shell> parse_generate_target(std::string_view text);

// What CLI11 does not know about an option's value. Options checked with CLI::IsMember or
// validate::one_of get their choices from the validator's "{a,b,c}" description if not here.
struct CompletionHints {
    std::map<const CLI::Option*, std::vector<std::string>> choices;
    std::set<const CLI::Option*> files; // the value is a path (completes file names)
};

// The script for `app` (its name is the command), covering the options of the app and of its
// subcommands (flattened), and the subcommand names. Hidden options (empty group) are left out.
std::string generate_completion(Shell shell, const CLI::App& app,
                                const CompletionHints& hints = {});

} // namespace rtc::app
